import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
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

/**
 * The team tools of the inbox, in Chromium: the team queue (live, with running waiting times, take
 * one), canned responses with `/` in the composer, macros with each action's result, and CSAT on
 * the conversation and the contact.
 */
forEachStorage('inbox team tools in a real browser', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  let page: Page;
  let phone = 0;
  before(async () => {
    [world, chrome] = await Promise.all([startInboxWorld(storage), launchChromium()]);
    ({ page } = await newPage(chrome.browser));
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await signIn(page, world, world.agent, '/app');
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await world.app.call(method, path, { key: world.key, body });
    assert.ok(r.status < 300, `${method} ${path}: ${r.text}`);
    return r.body;
  };
  const inbound = async (text: string, channel = 'whatsapp', from?: string) => {
    const number = from ?? `+91981100${String(++phone).padStart(4, '0')}`;
    const r = await call('POST', '/v1/sandbox/inbound', { from: number, text, channel });
    return { id: r.conversation_id as string, from: number };
  };

  it('the team queue lists waiting conversations oldest first, live, with running waits; take one', async () => {
    const team = await call('POST', '/v1/teams', {
      name: 'Front desk',
      user_ids: [world.agent.id],
      assignment: { mode: 'manual' },
    });
    const a = await inbound('Where is my order?');
    const b = await inbound('I need a refund');
    for (const c of [a, b])
      await call('POST', `/v1/conversations/${c.id}/handoff`, {
        reason: 'asked for a person',
        assign_to: { type: 'team', id: team.id },
      });
    await page.getByRole('link', { name: 'Queues' }).click();
    const section = page.getByRole('region', { name: 'Queue of Front desk' });
    const items = section.locator('.queue-item');
    await eventually(async () => ((await items.count()) === 2 ? true : null));
    assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))), [
      a.id,
      b.id,
    ]);
    // Live: a third handoff appears at the end without a reload.
    const c = await inbound('Can someone call me?');
    await call('POST', `/v1/conversations/${c.id}/handoff`, {
      reason: 'callback',
      assign_to: { type: 'team', id: team.id },
    });
    await section.locator(`.queue-item[data-id="${c.id}"]`).waitFor();
    assert.equal(await items.count(), 3);
    assert.equal(await items.last().getAttribute('data-id'), c.id);
    await section.getByText('3 waiting').waitFor();
    // The waiting time runs (seconds while short).
    const wait = section.locator(`.queue-item[data-id="${a.id}"] .waiting`);
    const first = await wait.textContent();
    assert.match(first ?? '', /^Waiting \d+ s$|^Waiting \d+ min \d\d s$/);
    await eventually(async () => ((await wait.textContent()) !== first ? true : null), 5000);
    await page.screenshot({ path: new URL('inbox-team-queue.png', SHOTS).pathname });
    // Take the oldest: it opens, is the agent's, and leaves the queue.
    await section.getByRole('button', { name: 'Take the next one' }).click();
    await page.waitForURL(`**/app/c/${a.id}`);
    const conv = await call('GET', `/v1/conversations/${a.id}`);
    assert.deepEqual(conv.assignee, { type: 'user', id: world.agent.id });
    await page.getByRole('link', { name: 'Queues' }).click();
    await eventually(async () => ((await items.count()) === 2 ? true : null));
    assert.equal(await items.first().getAttribute('data-id'), b.id);
  });

  it('"/" in the composer picks a canned response: filtered as typed, variables filled, arrows and Enter', async () => {
    await call('POST', '/v1/canned-responses', {
      short_code: 'hours',
      title: 'Opening hours',
      content: 'Hi {{contact.name}}, we are open 10:00-19:00. {{user.name}}',
    });
    await call('POST', '/v1/canned-responses', {
      short_code: 'refund',
      title: 'Refund policy',
      content: 'Refunds take 5 days, {{contact.name}}.',
    });
    const conv = await inbound('When are you open?');
    const got = await call('GET', `/v1/conversations/${conv.id}`);
    await call('PATCH', `/v1/contacts/${got.contact.id}`, { name: 'Asha' });
    await page.goto(`${world.url}/app/c/${conv.id}`);
    const box = page.locator('#reply-box');
    await box.click();
    await box.pressSequentially('/re');
    const picker = page.getByRole('listbox', { name: 'Canned responses' });
    await picker.getByRole('option').first().waitFor();
    assert.deepEqual(await picker.getByRole('option').allTextContents(), [
      '/refund Refund policyRefunds take 5 days, {{contact.name}}.',
    ]);
    await box.press('Backspace');
    await box.press('Backspace');
    await eventually(async () => ((await picker.getByRole('option').count()) === 2 ? true : null));
    const selected = () => picker.locator('[aria-selected=true]').textContent();
    assert.match((await selected()) ?? '', /^\/hours/);
    await box.press('ArrowDown');
    assert.match((await selected()) ?? '', /^\/refund/);
    await box.press('ArrowDown');
    assert.match((await selected()) ?? '', /^\/hours/, 'wraps around');
    await page.screenshot({ path: new URL('inbox-canned-picker.png', SHOTS).pathname });
    await box.press('Enter');
    await eventually(async () =>
      (await box.inputValue()) === 'Hi Asha, we are open 10:00-19:00. Arjun Agent' ? true : null,
    );
    assert.equal(await picker.count(), 0, 'the picker closed');
    // Escape closes it without inserting; a second Enter sends the reply.
    await box.pressSequentially(' /');
    await picker.waitFor();
    await box.press('Escape');
    assert.equal(await picker.count(), 0);
    await box.press('Backspace');
    await box.press('Backspace');
    await box.press('Enter');
    await page.locator('.messages').getByText('Hi Asha, we are open 10:00-19:00. Arjun Agent').waitFor();
  });

  it('a macro runs from the composer and shows each action result', async () => {
    const gone = await call('POST', '/v1/canned-responses', {
      short_code: 'gone',
      title: 'Soon deleted',
      content: 'x',
    });
    await call('POST', '/v1/macros', {
      name: 'VIP escalate',
      actions: [
        { type: 'add_tags', tags: ['vip'] },
        { type: 'send_canned', canned_response_id: gone.id },
        { type: 'set_priority', priority: 'high' },
      ],
    });
    await call('DELETE', `/v1/canned-responses/${gone.id}`);
    const conv = await inbound('I am a premium member');
    await page.goto(`${world.url}/app/c/${conv.id}`);
    await page.getByRole('button', { name: 'Macros' }).click();
    await page.getByRole('button', { name: /VIP escalate/ }).click();
    const results = page.getByRole('status', { name: 'Macro results' });
    await results.waitFor();
    const lines = await results.locator('li').allTextContents();
    assert.equal(lines.length, 3);
    assert.equal(lines[0], 'add tags: done');
    assert.match(lines[1]!, /^send canned: error — .+/);
    assert.equal(lines[2], 'set priority: done');
    await page.locator(`#card-${conv.id}`).getByText('vip').waitFor();
    const after = await call('GET', `/v1/conversations/${conv.id}`);
    assert.equal(after.priority, 'high');
  });

  it('CSAT shows on the conversation and on the contact, live', async () => {
    await call('PUT', '/v1/csat/settings', { enabled: true, question: 'How did we do?' });
    const conv = await inbound('hi', 'sms');
    await call('POST', `/v1/conversations/${conv.id}/close`);
    await eventually(async () => {
      const msgs = (await call('GET', `/v1/conversations/${conv.id}/messages`)).data as Array<{
        text: string | null;
      }>;
      return msgs.some((m) => /digit from 1/.test(m.text ?? '')) ? true : null;
    });
    await page.goto(`${world.url}/app/c/${conv.id}?status=any`);
    await page
      .getByRole('complementary', { name: 'Contact' })
      .getByText(/No rating yet/)
      .waitFor();
    await inbound('4 - lovely staff', 'sms', conv.from);
    const banner = page.getByRole('status', { name: 'Customer satisfaction' });
    await banner.getByText('4/5').waitFor();
    await banner.getByText('“lovely staff”').waitFor();
    const panel = page.getByRole('list', { name: 'Satisfaction answers' });
    await panel.getByText('4/5').waitFor();
    await panel.getByText('“lovely staff”').waitFor();
    assert.equal((await call('GET', `/v1/conversations/${conv.id}`)).status, 'closed');
    await page.screenshot({ path: new URL('inbox-csat.png', SHOTS).pathname });
  });
});
