import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  chromiumMissing,
  type InboxWorld,
  type LaunchedBrowser,
  launchChromium,
  newPage,
  signIn,
  startInboxWorld,
} from '../support/browser.ts';
import { forEachStorage } from '../support/harness.ts';
import { TestIdp } from '../support/oidc-idp.ts';
import { newSamlKey } from '../support/saml-idp.ts';

/**
 * Issue 63 in Chromium: a person signs in with SSO from the sign-in page (their work email finds
 * the workspace's identity provider, a real oidc-provider run here), lands in the inbox with a
 * session; a refused domain is said on the sign-in page; an admin sets SSO up in Manage.
 */
forEachStorage('inbox single sign-on in a real browser', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  let idp: TestIdp;
  const pageErrors: string[] = [];
  before(async () => {
    [world, chrome] = await Promise.all([
      startInboxWorld(storage, { PARLEY_SSO_ALLOW_PRIVATE: '1' }),
      launchChromium(),
    ]);
    // The server's public URL is where it listens, known once it does.
    world.app.ctx.config.publicUrl = world.url;
    idp = await new TestIdp().start(`${world.url}/v1/sso/oidc/callback`);
    const put = await world.app.call('PUT', '/v1/sso-settings', {
      key: world.key,
      body: {
        enabled: true,
        oidc: { issuer_url: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret },
        allowed_email_domains: ['glowsalon.in'],
        jit_provisioning: true,
      },
    });
    assert.equal(put.status, 200, put.text);
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
    await idp?.close();
    assert.deepEqual(pageErrors, []);
  });

  const ssoSignIn = async (sub: string, email: string) => {
    idp.signInAs = sub;
    const { page } = await newPage(chrome.browser);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${world.url}/app`);
    await page.getByRole('button', { name: 'Use single sign-on (SSO)' }).click();
    await page.getByLabel('Work email or workspace id').fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    return page;
  };

  it('signs a new person in with SSO and opens the inbox; the address keeps no code', async () => {
    idp.accounts.set('sub-kavya', { email: 'kavya@glowsalon.in', email_verified: true, name: 'Kavya Rao' });
    const page = await ssoSignIn('sub-kavya', 'kavya@glowsalon.in');
    await page.locator('.conn[data-state=live]').waitFor();
    assert.ok(!page.url().includes('sso_code'), page.url());
    const users = await world.app.call('GET', '/v1/users?limit=100', { key: world.key });
    assert.ok(users.body.data.some((u: { email: string }) => u.email === 'kavya@glowsalon.in'));
  });

  it('says why a refused person cannot sign in', async () => {
    idp.accounts.set('sub-out', { email: 'out@elsewhere.example', email_verified: true });
    const page = await ssoSignIn('sub-out', 'out@glowsalon.in');
    await page.getByRole('alert').filter({ hasText: 'elsewhere.example may not sign in' }).waitFor();
    assert.ok(!page.url().includes('sso_error'), page.url());
  });

  it('an admin sees the SSO settings in Manage, the secret never shown', async () => {
    const { page } = await newPage(chrome.browser);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await signIn(page, world, world.admin, '/app/manage/sso');
    const form = page.getByRole('form', { name: 'Single sign-on settings' });
    await form.waitFor();
    assert.equal(await page.getByLabel('Redirect URI').inputValue(), `${world.url}/v1/sso/oidc/callback`);
    assert.equal(await form.getByLabel('Client secret').inputValue(), '');
    await form.getByLabel('Allowed email domains').fill('glowsalon.in, glow.co');
    await form.getByRole('button', { name: 'Save single sign-on' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const got = await world.app.call('GET', '/v1/sso-settings', { key: world.key });
    assert.deepEqual(got.body.allowed_email_domains, ['glowsalon.in', 'glow.co']);
    assert.equal(got.body.oidc.client_secret_set, true);
    assert.equal(got.body.enabled, true);
  });

  it('an admin switches to SAML: sees what to register at the provider, saves the provider', async () => {
    const key = await newSamlKey();
    const { page } = await newPage(chrome.browser);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await signIn(page, world, world.admin, '/app/manage/sso');
    await page.getByRole('form', { name: 'Single sign-on settings' }).waitFor();
    await page.getByLabel('Protocol').selectOption('saml');
    const before = await world.app.call('GET', '/v1/sso-settings', { key: world.key });
    const metadataUrl: string = before.body.saml.metadata_url;
    assert.match(metadataUrl, new RegExp(`^${world.url}/v1/sso/ws_\\w+/saml/metadata\\?mode=test$`));
    assert.equal(await page.getByLabel('SP entity id (Audience)').inputValue(), metadataUrl);
    assert.equal(await page.getByLabel('ACS URL (Recipient)').inputValue(), `${world.url}/v1/sso/saml/acs`);
    assert.equal(await page.getByLabel('Metadata URL').inputValue(), metadataUrl);
    const form = page.getByRole('form', { name: 'Single sign-on settings' });
    await form.getByLabel('Identity provider entity id (Issuer)').fill('https://idp.test/saml');
    await form.getByLabel('Identity provider single sign-on URL').fill('https://idp.test/saml/sso');
    await form.getByLabel('Identity provider signing certificate (PEM)').fill('not a certificate');
    await form.getByRole('button', { name: 'Save single sign-on' }).click();
    await form.getByText(/not an X\.509 certificate/).waitFor();
    await form.getByLabel('Identity provider signing certificate (PEM)').fill(key.cert);
    await form.getByRole('button', { name: 'Save single sign-on' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const got = await world.app.call('GET', '/v1/sso-settings', { key: world.key });
    assert.equal(got.body.protocol, 'saml');
    assert.equal(got.body.saml.idp_sso_url, 'https://idp.test/saml/sso');
    assert.ok(got.body.saml.idp_certificate_expires_at);
    const meta = await fetch(metadataUrl);
    assert.equal(meta.status, 200);
    assert.match(await meta.text(), /AssertionConsumerService/);
  });
});
