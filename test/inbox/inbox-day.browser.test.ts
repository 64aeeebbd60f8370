import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { pathToFileURL } from 'node:url';
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

// The docs' screenshots are retaken with PARLEY_SCREENSHOTS=1; other runs leave the repo clean.
const SHOTS = process.env.PARLEY_SCREENSHOTS
  ? new URL('../../docs/screenshots/', import.meta.url)
  : pathToFileURL(`${mkdtempSync(join(tmpdir(), 'parley-shots-'))}/`);
const shot = (page: Page, name: string) => page.screenshot({ path: new URL(name, SHOTS).pathname });

/**
 * Issue 50's day in the inbox, in Chromium on SQLite and PostgreSQL (the search index differs:
 * FTS5 and a tsvector): a search by a word of an earlier message, a duplicate contact merged from
 * the contact panel, and a person's data downloaded from it by an admin.
 */
forEachStorage('a working day in the inbox', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  before(async () => {
    [world, chrome] = await Promise.all([startInboxWorld(storage), launchChromium()]);
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
  });

  let phone = 9822000000 + Math.floor(Math.random() * 100_000);
  const nextPhone = () => `+91${++phone}`;
  const inbound = async (from: string, text: string, channel?: string) => {
    const r = await world.app.call('POST', '/v1/sandbox/inbound', {
      key: world.key,
      body: { from, text, ...(channel ? { channel } : {}) },
    });
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  };
  const contactOf = async (conv: string) =>
    (await world.app.call('GET', `/v1/conversations/${conv}`, { key: world.key })).body.contact.id as string;
  const open = async (who: 'admin' | 'agent', path = '/app') => {
    const { page } = await newPage(chrome.browser);
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await signIn(page, world, world[who], path);
    return page;
  };

  it('search finds a conversation by a word of an earlier message and marks it in the snippet', async () => {
    const from = nextPhone();
    const conv = await inbound(from, 'Where is my refund for order 77123?');
    await inbound(from, 'मेरा रिफंड कब आएगा');
    await inbound(from, 'hello??');
    await inbound(nextPhone(), 'Do you open on Sunday?');
    const page = await open('agent');
    await page.getByLabel('Search conversations').fill('77123');
    const card = page.locator(`#card-${conv}`);
    await card.locator('.preview.match mark', { hasText: '77123' }).waitFor();
    assert.equal(await page.locator('.conv-list .card').count(), 1, 'only the conversation holding the word');
    assert.match((await card.locator('.preview.match').textContent()) ?? '', /refund for order 77123/);
    await shot(page, 'inbox-search.png');
    // A Devanagari word of another of its messages finds it too.
    await page.getByLabel('Search conversations').fill('रिफंड');
    await card.locator('.preview.match mark', { hasText: 'रिफंड' }).waitFor();
    await card.click();
    await page.locator('.bubble', { hasText: 'hello??' }).waitFor();
    await page.context().close();
  });

  it("a search's results page: the date filter, the Messages tab, and the Contacts tab opening a customer's conversations", async () => {
    const code = `INV-${String(phone).slice(-4)}`;
    const recentFrom = nextPhone();
    const recent = await inbound(recentFrom, `invoice ${code} is wrong`);
    await world.app.call('PATCH', `/v1/contacts/${await contactOf(recent)}`, {
      key: world.key,
      body: { name: `Zorawar ${code.slice(-4)}` },
    });
    const old = await inbound(nextPhone(), `${code} was paid last spring`);
    // The old conversation's message was written months ago.
    const months = '2026-03-02T10:00:00.000Z';
    await world.app.ctx.db
      .updateTable('messages')
      .set({ created_at: months })
      .where('conversation_id', '=', old)
      .execute();
    await world.app.ctx.db
      .updateTable('conversations')
      .set({ last_message_at: months })
      .where('id', '=', old)
      .execute();
    const page = await open('agent');
    await page.getByLabel('Search conversations').fill(code);
    await page.locator(`#card-${old}`).waitFor();
    await page.locator(`#card-${recent}`).waitFor();
    await page.getByLabel('Written').selectOption('7d');
    await page.locator(`#card-${old}`).waitFor({ state: 'detached' });
    await page.locator(`#card-${recent}`).waitFor();
    // Messages: each matching message, its code marked.
    await page.getByRole('tab', { name: 'Messages' }).click();
    const messages = page.getByRole('list', { name: 'Matching messages' });
    await messages.locator('mark', { hasText: code }).waitFor();
    assert.equal(await messages.locator('.card').count(), 1, 'only the message written in the last 7 days');
    // Contacts: the customer by name; choosing them lists their conversations in any status.
    await page.getByLabel('Search conversations').fill(`Zorawar ${code.slice(-4)}`);
    await page.getByRole('tab', { name: 'Contacts' }).click();
    const contacts = page.getByRole('list', { name: 'Matching contacts' });
    await contacts.getByRole('button', { name: new RegExp(`Zorawar ${code.slice(-4)}`) }).click();
    await page.getByText('One customer’s conversations').waitFor();
    await page.locator(`#card-${recent}`).waitFor();
    assert.equal(await page.locator('.conv-list .card').count(), 1);
    assert.match(page.url(), /contact=ct_/);
    await page.context().close();
  });

  it('offers a duplicate contact in the panel and merges it: its conversation moves here', async () => {
    const from = nextPhone();
    const email = `kavya${from.slice(-5)}@example.com`;
    // The customer wrote by email first, then on WhatsApp, where a person noted the same email.
    const byEmail = await inbound(email, 'Writing from my email too', 'email');
    const conv = await inbound(from, 'Hi, this is Kavya');
    const contactId = await contactOf(conv);
    await world.app.call('PATCH', `/v1/contacts/${contactId}`, { key: world.key, body: { email } });
    const twin = await contactOf(byEmail);
    assert.notEqual(twin, contactId);
    // An agent sees the duplicate but is not offered the merge (it cannot be undone: admins only).
    const agentPage = await open('agent', `/app/c/${conv}`);
    const seen = agentPage.getByRole('region', { name: 'Possible duplicates' });
    await seen.getByText('same email').waitFor();
    await seen.getByText('An admin can merge them').waitFor();
    assert.equal(await seen.getByRole('button', { name: /^Merge / }).count(), 0);
    await agentPage.context().close();
    const page = await open('admin', `/app/c/${conv}`);
    const dupes = page.getByRole('region', { name: 'Possible duplicates' });
    await dupes.getByText('same email').waitFor();
    await dupes.getByRole('button', { name: /^Merge .* into this contact$/ }).click();
    await dupes.getByRole('button', { name: 'Merge', exact: true }).waitFor();
    await shot(page, 'inbox-merge.png');
    await dupes.getByRole('button', { name: 'Merge', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Merged / })
      .waitFor();
    await page.locator('.contact a', { hasText: 'email' }).waitFor();
    await eventually(async () => (await contactOf(byEmail)) === contactId);
    // The merged contact stays as a record of the merge, and the kept one's history holds both conversations.
    const record = await world.app.call('GET', `/v1/contacts/${twin}`, { key: world.key });
    assert.equal(record.body.merged_into, contactId, record.text);
    const theirs = await world.app.call('GET', `/v1/conversations?contact_id=${contactId}`, {
      key: world.key,
    });
    assert.equal(theirs.status, 200, theirs.text);
    assert.deepEqual(theirs.body.data.map((c: { id: string }) => c.id).sort(), [conv, byEmail].sort());
    await page.context().close();
  });

  it("an admin downloads a person's data from the contact panel; an agent is not offered it", async () => {
    const from = nextPhone();
    const conv = await inbound(from, 'Please send me what you hold about me, order 99881');
    const contactId = await contactOf(conv);
    const agentPage = await open('agent', `/app/c/${conv}`);
    await agentPage.locator('.contact').getByText('Do not disturb').waitFor();
    assert.equal(await agentPage.getByText("Export this person's data").count(), 0);
    await agentPage.context().close();

    const page = await open('admin', `/app/c/${conv}`);
    const offer = page.locator('.contact p', { hasText: "Export this person's data" });
    const downloading = page.waitForEvent('download');
    await offer.getByRole('button', { name: 'JSON' }).click();
    const download = await downloading;
    assert.equal(download.suggestedFilename(), `${contactId}.json`);
    const data = JSON.parse(readFileSync((await download.path()) as string, 'utf8'));
    assert.equal(data.contact.id, contactId);
    assert.match(JSON.stringify(data.conversations), /order 99881/);
    await page.getByRole('status').filter({ hasText: 'Export downloaded (JSON).' }).waitFor();

    // Once the person is erased, the panel says why the export failed instead of saving nothing.
    const erased = await world.app.call('DELETE', `/v1/contacts/${contactId}`, { key: world.key });
    assert.equal(erased.status, 200, erased.text);
    await offer.getByRole('button', { name: 'JSON' }).click();
    await page.locator('.contact [role=alert]', { hasText: /contact/i }).waitFor();
    await page.context().close();
  });
});
