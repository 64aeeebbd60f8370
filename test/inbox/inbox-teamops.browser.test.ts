import assert from 'node:assert/strict';
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

/** Team operations in the inbox, in Chromium: presence and the availability switch, SLA on cards. */
forEachStorage('inbox team operations in a real browser', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  let page: Page;
  before(async () => {
    [world, chrome] = await Promise.all([startInboxWorld(storage), launchChromium()]);
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
  });
  const availabilityOf = async (id: string) =>
    (await world.app.call('GET', `/v1/users/${id}`, { key: world.key })).body.availability as string;

  it('the agent is online while the inbox is open, and sets busy by hand', async () => {
    assert.equal(await availabilityOf(world.agent.id), 'offline');
    ({ page } = await newPage(chrome.browser));
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await signIn(page, world, world.agent, '/app');
    const select = page.getByLabel('Availability');
    await select.waitFor();
    // The inbox's live connection is the presence: online without touching anything.
    await eventually(async () => ((await availabilityOf(world.agent.id)) === 'online' ? true : null), 10_000);
    // The switch says so too (it read "Auto" with an offline dot while the page stayed open), with
    // its dot beside the select, not above it.
    const online = page.locator('label.availability.avail-online');
    await online.waitFor();
    assert.equal(await online.locator('option[value=auto]').textContent(), 'Online (auto)');
    const dot = await online.locator('.dot').boundingBox();
    const box = await select.boundingBox();
    assert.ok(
      dot && box && dot.x + dot.width <= box.x && dot.y >= box.y && dot.y + dot.height <= box.y + box.height,
    );
    await select.selectOption('busy');
    await eventually(async () => ((await availabilityOf(world.agent.id)) === 'busy' ? true : null), 10_000);
    await select.selectOption('auto');
    await eventually(async () => ((await availabilityOf(world.agent.id)) === 'online' ? true : null), 10_000);
  });

  it('a card shows its SLA due time', async () => {
    const policy = await world.app.call('POST', '/v1/sla-policies', {
      key: world.key,
      body: { name: 'Standard', first_response_minutes: 30, counts_ai_replies: true },
    });
    assert.equal(policy.status, 201, policy.text);
    const r = await world.app.call('POST', '/v1/sandbox/inbound', {
      key: world.key,
      body: { from: '+919811099001', text: 'Is anyone there?' },
    });
    assert.ok(r.status < 300, r.text);
    await page
      .locator(`#card-${r.body.conversation_id}`)
      .getByText(/SLA first reply in \d+ min/)
      .waitFor();
  });
});
