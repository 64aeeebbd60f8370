import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  chromiumMissing,
  type InboxWorld,
  type LaunchedBrowser,
  launchChromium,
  newPage,
  signIn,
  startInboxWorld,
} from '../support/browser.ts';
import { eventually, forEachStorage } from '../support/harness.ts';

/**
 * Issue 62's Contacts page and the erasure from the contact panel, in Chromium: search, tag and
 * attribute filters, pages and a CSV export of the filter; the workspace's duplicates merged by an
 * admin and refused to an agent with clear words; an admin erases a person after typing ERASE.
 */
forEachStorage('inbox contacts page in a real browser', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  const pageErrors: string[] = [];
  const ids: Record<string, string> = {};
  before(async () => {
    [world, chrome] = await Promise.all([startInboxWorld(storage), launchChromium()]);
    const contact = async (label: string, body: Record<string, unknown>) => {
      const r = await world.app.call('POST', '/v1/contacts', { key: world.key, body });
      assert.equal(r.status, 201, r.text);
      ids[label] = r.body.id;
    };
    // The oldest first: the list is newest first.
    await contact('asha', {
      name: 'Asha Rao',
      email: 'asha@example.com',
      tags: ['vip'],
      attributes: { plan: 'premium' },
    });
    await contact('ashaAgain', { name: 'A. Rao', email: 'ASHA@example.com', phone: '+919811100001' });
    await contact('vikram', { name: 'Vikram Shah', phone: '+919811100002', tags: ['vip'] });
    await contact('vikramAgain', { name: 'vikram shah', email: 'vikram@example.com' });
    await contact('formula', { name: '=SUM(1,2)', phone: '+919811100003', attributes: { plan: 'basic' } });
    for (let i = 0; i < 24; i++)
      await contact(`c${i}`, { name: `Customer ${i}`, phone: `+9198111002${String(i).padStart(2, '0')}` });
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
    assert.deepEqual(pageErrors, []);
  });
  const open = async (who: 'admin' | 'agent', path: string) => {
    const { page } = await newPage(chrome.browser);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await signIn(page, world, world[who], path);
    return page;
  };
  const rows = (page: Page) => page.locator('table[aria-label="Contacts list"] tbody tr');
  const names = async (page: Page) =>
    (await rows(page).locator('td:first-child').allTextContents()).map((t) => t.trim()).sort();
  const filter = async (page: Page, values: { q?: string; tag?: string; attr?: string }) => {
    const form = page.getByRole('search', { name: 'Find contacts' });
    await form.getByLabel('Search').fill(values.q ?? '');
    await form.getByLabel('Tag').fill(values.tag ?? '');
    await form.getByLabel('Attribute').fill(values.attr ?? '');
    await form.getByRole('button', { name: 'Filter' }).click();
  };
  const listed = (page: Page, expected: string[]) =>
    eventually(async () => JSON.stringify(await names(page)) === JSON.stringify([...expected].sort()));

  it('searches, filters by tag and attribute, pages, and exports the filter as CSV', async () => {
    const page = await open('admin', '/app');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
    await page.waitForURL('**/app/contacts');
    await page.getByRole('heading', { name: 'Contacts', level: 1 }).waitFor();
    await page.getByText('Page 1 of 2 (29 contacts)').waitFor();
    assert.equal(await rows(page).count(), 25);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2 of 2 (29 contacts)').waitFor();
    assert.match(page.url(), /page=2/);
    await listed(page, ['A. Rao', 'Asha Rao', 'Vikram Shah', 'vikram shah']);

    await filter(page, { q: 'rao' });
    await listed(page, ['A. Rao', 'Asha Rao']);
    assert.match(page.url(), /q=rao/);
    await filter(page, { tag: 'vip' });
    await listed(page, ['Asha Rao', 'Vikram Shah']);
    await filter(page, { attr: 'plan = premium' });
    await listed(page, ['Asha Rao']);
    await filter(page, { attr: 'plan' });
    await page.getByRole('alert').filter({ hasText: 'key = value' }).waitFor();

    await filter(page, { attr: 'plan=basic' });
    await listed(page, ['=SUM(1,2)']);
    await filter(page, { q: 'rao' });
    await listed(page, ['A. Rao', 'Asha Rao']);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = (await readFile((await download.path())!, 'utf8')).trim().split('\r\n');
    assert.equal(csv[0], 'id,name,phone,email,tags,attributes,dnd,opted_out,created_at');
    assert.equal(csv.length, 3, csv.join('\n'));
    assert.ok(
      csv.some((l) => l.startsWith(`${ids.asha},Asha Rao,,asha@example.com,vip,`)),
      csv.join('\n'),
    );
    await page.getByRole('status').filter({ hasText: 'Exported 2 contacts' }).waitFor();
    await filter(page, { attr: 'plan=basic' });
    await listed(page, ['=SUM(1,2)']);
    const [formula] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const cells = await readFile((await formula.path())!, 'utf8');
    assert.ok(cells.includes(`${ids.formula},"'=SUM(1,2)"`), `a formula is never a formula: ${cells}`);
    await page.context().close();
  });

  it('lists the workspace’s duplicates; an agent is told merging needs an admin; an admin merges', async () => {
    const agent = await open('agent', '/app/contacts');
    await agent.getByRole('tab', { name: 'Duplicates' }).click();
    const agentGroups = agent.locator('fieldset.dup-group');
    await eventually(async () => (await agentGroups.count()) === 2);
    await agent.getByText('merging needs the privacy:merge permission').first().waitFor();
    agent.once('dialog', (d) => void d.accept());
    await agentGroups
      .filter({ hasText: 'Asha Rao' })
      .getByRole('button', { name: 'Merge into the one kept' })
      .click();
    await agent.getByRole('alert').filter({ hasText: 'privacy:merge' }).waitFor();
    await agent.context().close();

    const admin = await open('admin', '/app/contacts');
    await admin.getByRole('tab', { name: 'Duplicates' }).click();
    const groups = admin.locator('fieldset.dup-group');
    await eventually(async () => (await groups.count()) === 2);
    const asha = groups.filter({ hasText: 'Asha Rao' });
    assert.match((await asha.locator('legend').textContent()) ?? '', /2 contacts · same email/);
    assert.match(
      (await groups.filter({ hasText: 'Vikram Shah' }).locator('legend').textContent()) ?? '',
      /same name/,
    );
    await asha.getByRole('radio', { name: /Keep Asha Rao/ }).check();
    admin.once('dialog', (d) => {
      assert.match(d.message(), /Merge A\. Rao into Asha Rao\?/);
      void d.accept();
    });
    await asha.getByRole('button', { name: 'Merge into the one kept' }).click();
    await admin.getByRole('status').filter({ hasText: 'Merged 1 contact into Asha Rao.' }).waitFor();
    await eventually(async () => (await groups.count()) === 1);
    const kept = await world.app.call('GET', `/v1/contacts/${ids.asha}`, { key: world.key });
    assert.equal(kept.body.phone, '+919811100001', 'the kept contact took the other’s phone');
    const gone = await world.app.call('GET', `/v1/contacts/${ids.ashaAgain}`, { key: world.key });
    assert.ok(gone.status === 404 || gone.body.merged_into === ids.asha, gone.text);
    await admin.context().close();
  });

  it('an admin erases a person from the contact panel after typing ERASE; an agent has no such button', async () => {
    const r = await world.app.call('POST', '/v1/sandbox/inbound', {
      key: world.key,
      body: {
        from: '+919822200001',
        text: 'Please delete everything you have about me',
        name: 'Kiran Mehta',
      },
    });
    assert.ok(r.status < 300, r.text);
    const conv = r.body.conversation_id as string;
    const contactId = (await world.app.call('GET', `/v1/conversations/${conv}`, { key: world.key })).body
      .contact.id;

    const agent = await open('agent', `/app/c/${conv}`);
    const agentPanel = agent.getByRole('complementary', { name: 'Contact' });
    await agentPanel.getByRole('button', { name: 'Edit contact' }).waitFor();
    assert.equal(await agentPanel.getByRole('button', { name: 'Erase this person…' }).count(), 0);
    await agent.context().close();

    const page = await open('admin', `/app/c/${conv}`);
    const panel = page.getByRole('complementary', { name: 'Contact' });
    await panel.getByRole('button', { name: 'Erase this person…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Erase Kiran Mehta?' });
    await dialog.getByText('the text, files and addresses of their messages').waitFor();
    const erase = dialog.getByRole('button', { name: 'Erase Kiran Mehta' });
    assert.equal(await erase.isDisabled(), true, 'nothing is erased before the name or ERASE is typed');
    await dialog.getByLabel(/to confirm/).fill('Kiran');
    assert.equal(await erase.isDisabled(), true);
    await dialog.getByLabel(/to confirm/).fill('ERASE');
    await erase.click();
    await panel.getByTestId('erasure').filter({ hasText: 'Kiran Mehta was erased' }).waitFor();
    await panel.getByTestId('erasure').filter({ hasText: 'nothing of them is left' }).waitFor();
    const after = await world.app.call('GET', `/v1/contacts/${contactId}`, { key: world.key });
    assert.equal(after.status, 404, after.text);
    await page.context().close();
  });

  it('an admin erases a person from the Contacts page by typing their name', async () => {
    const page = await open('admin', '/app/contacts?q=customer%207');
    await listed(page, ['Customer 7']);
    await rows(page).getByRole('button', { name: 'Erase this person…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Erase Customer 7?' });
    await dialog.getByLabel(/to confirm/).fill('Customer 7');
    await dialog.getByRole('button', { name: 'Erase Customer 7' }).click();
    await page.getByTestId('erasure').filter({ hasText: 'Customer 7 was erased' }).waitFor();
    await eventually(async () => (await rows(page).count()) === 0);
    const gone = await world.app.call('GET', `/v1/contacts/${ids.c7}`, { key: world.key });
    assert.equal(gone.status, 404, gone.text);
    await page.context().close();
  });
});
