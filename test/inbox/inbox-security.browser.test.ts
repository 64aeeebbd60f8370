import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { base32Decode, hotp, stepAt } from '../../src/modules/users/users.totp.ts';
import {
  chromiumMissing,
  type InboxWorld,
  type LaunchedBrowser,
  launchChromium,
  newPage,
  PASSWORD,
  signIn,
  startInboxWorld,
} from '../support/browser.ts';
import { eventually, forEachStorage } from '../support/harness.ts';

/**
 * Issue 62's security screens in Chromium: a person enrols a second factor from the Me page (QR,
 * key, a code computed here from the key, recovery codes shown once), an admin resets it from
 * Manage > Users (audited) and the person signs in with the password alone; a person signs another
 * of their sessions out.
 */
forEachStorage('inbox security screens in a real browser', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  const pageErrors: string[] = [];
  before(async () => {
    [world, chrome] = await Promise.all([startInboxWorld(storage), launchChromium()]);
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
    assert.deepEqual(pageErrors, []);
  });
  const open = async (who: { email: string; password: string }, path: string) => {
    const { page } = await newPage(chrome.browser);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await signIn(page, world, who, path);
    return page;
  };
  const newUser = async (name: string) => {
    const email = `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@glowsalon.in`;
    const r = await world.app.call('POST', '/v1/users', {
      key: world.key,
      body: { name, email, role: 'agent', password: PASSWORD },
    });
    assert.equal(r.status, 201, r.text);
    return { id: r.body.id as string, email, password: PASSWORD };
  };
  const login = (email: string) =>
    world.app.call('POST', '/v1/auth/login', { body: { email, password: PASSWORD } });

  it('enrols a second factor with a code from its key, shows the recovery codes once; an admin resets it', async () => {
    const neha = await newUser('Neha');
    const page = await open(neha, '/app/me');
    const security = page.getByRole('region', { name: 'Security' });
    await security.getByText('Off: your password alone signs you in.').waitFor();
    await security.getByRole('button', { name: 'Set up two-factor sign-in' }).click();

    const qr = security.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor();
    assert.ok(
      await qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0),
      'the QR code is an image the browser drew',
    );
    const secret = (await page.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(
      ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, ''),
      secret,
      'the key to type is shown too',
    );

    const form = page.getByRole('form', { name: 'Confirm two-factor sign-in' });
    await form.getByLabel('Code from the app').fill('000000');
    await form.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await form.getByRole('alert').filter({ hasText: 'not a valid code' }).waitFor();

    await form.getByLabel('Code from the app').fill(hotp(base32Decode(secret), stepAt(Date.now())));
    await form.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    const codes = page.getByTestId('recovery-codes').getByRole('listitem');
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10);
    const shown = (await codes.allTextContents()).map((c) => c.trim());
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download' }).click(),
    ]);
    const file = await readFile((await download.path())!, 'utf8');
    for (const code of shown) assert.ok(file.includes(code), `the file holds ${code}`);
    await page.getByRole('button', { name: 'I have stored them' }).click();
    await security.getByText('Signing in asks for a code from your authenticator app.').waitFor();
    assert.equal(await page.getByTestId('recovery-codes').count(), 0, 'shown only once');

    const refused = await login(neha.email);
    assert.equal(refused.status, 401, 'the password alone no longer signs in');
    assert.equal(refused.body.error.two_factor_required, true);

    // Neha lost her phone: an admin resets her second factor from Manage > Users.
    const admin = await open(world.admin, '/app/manage/users');
    admin.once('dialog', (d) => {
      assert.match(d.message(), /Reset Neha's two-factor sign-in\?/);
      void d.accept();
    });
    await admin.getByRole('button', { name: 'Reset the second factor of Neha' }).click();
    await admin.getByRole('status').filter({ hasText: "Neha's second factor was reset" }).waitFor();
    const audit = await world.app.call('GET', `/v1/audit-log?object_id=${neha.id}`, { key: world.key });
    const entry = audit.body.data.find((e: { action: string }) => e.action === 'resetUserTwoFactor');
    assert.ok(entry, audit.text);
    assert.deepEqual(entry.actor, { type: 'user', id: world.admin.id });

    // Resetting again is refused with the API's words.
    admin.once('dialog', (d) => void d.accept());
    await admin.getByRole('button', { name: 'Reset the second factor of Neha' }).click();
    await admin.getByRole('alert').filter({ hasText: 'no second factor to reset' }).waitFor();

    // Her open session ended with the reset; she signs in with her password alone.
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signIn(page, world, neha, '/app/me');
    await page.getByText('Off: your password alone signs you in.').waitFor();
    await admin.context().close();
    await page.context().close();
  });

  it('lists my sessions with this device marked and signs another one out', async () => {
    const ravi = await newUser('Ravi');
    const phone = await open(ravi, '/app');
    const desk = await open(ravi, '/app/me');
    const sessions = desk.locator('table[aria-label="My sessions"] tbody tr');
    await eventually(async () => (await sessions.count()) === 2);
    const mine = sessions.filter({ hasText: 'This device' });
    assert.equal(await mine.count(), 1);
    assert.match((await mine.textContent()) ?? '', /Chrome on Linux/);
    assert.match((await mine.textContent()) ?? '', /127\.0\.0\.1/);

    const other = desk.getByRole('button', { name: /^Sign out Chrome on Linux/ });
    assert.equal(await other.count(), 1, 'this device has no sign-out button of its own');
    await other.click();
    await desk.getByRole('status').filter({ hasText: 'Signed out there.' }).waitFor();
    await eventually(async () => (await sessions.count()) === 1);
    await desk.getByText('Signed in only here.').waitFor();

    // The other device's token is refused from its next request: it is back at the sign-in page.
    await phone.reload();
    await phone.getByRole('button', { name: 'Sign in' }).waitFor();

    // Two more sign-ins elsewhere, then "Sign out everywhere else" ends both and keeps this one.
    for (let i = 0; i < 2; i++) assert.equal((await login(ravi.email)).status, 200);
    await desk.reload();
    await eventually(async () => (await sessions.count()) === 3);
    await desk.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await desk.getByRole('status').filter({ hasText: 'Signed out of 2 other sessions.' }).waitFor();
    await desk.getByText('Signed in only here.').waitFor();
    const list = await desk.evaluate(() => sessionStorage.getItem('parley.session'));
    assert.ok(list, 'this device is still signed in');
    await phone.context().close();
    await desk.context().close();
  });

  it('a workspace that requires a second factor shows a new sign-in only the enrolment, then the inbox after a code', async () => {
    const put = (on: boolean) =>
      world.app.call('PUT', '/v1/auth-settings', { key: world.key, body: { require_two_factor: on } });
    assert.equal((await put(true)).status, 200);
    try {
      const meera = await newUser('Meera');
      const { page } = await newPage(chrome.browser);
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(`${world.url}/app`);
      await page.getByLabel('Email').fill(meera.email);
      await page.getByLabel('Password').fill(meera.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Set up two-factor sign-in' }).waitFor();
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0, 'no inbox yet');
      await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
      const secret = (await page.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
      const step = stepAt(Date.now());
      await page.getByLabel('Code from the app').fill(hotp(base32Decode(secret), step));
      await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
      await page.getByTestId('recovery-codes').waitFor();
      await page.getByRole('button', { name: 'I have stored them' }).click();
      await page.getByText('Two-factor sign-in is on. Sign in again with a code from your app.').waitFor();

      await page.getByLabel('Email').fill(meera.email);
      await page.getByLabel('Password').fill(meera.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // A code of the next step: the one that confirmed the enrolment is used up.
      await page.getByLabel('Two-factor code').fill(hotp(base32Decode(secret), step + 1));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('.conn[data-state=live]').waitFor();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).waitFor();
      await page.context().close();
    } finally {
      assert.equal((await put(false)).status, 200);
    }
  });
});
