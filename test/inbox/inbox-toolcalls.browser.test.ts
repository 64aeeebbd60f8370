import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
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
 * The tool calls of a conversation in the inbox, in Chromium: each one a line among the messages
 * in order (tool, status, latency), its arguments and result (as recorded: secrets masked,
 * redacted keys removed) shown when opened, and a new one arriving live.
 */
forEachStorage('tool calls in the inbox timeline', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  let page: Page;
  before(async () => {
    [world, chrome] = await Promise.all([
      startInboxWorld(
        storage,
        {},
        modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 50 }) : m)),
      ),
      launchChromium(),
    ]);
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

  it('shows each tool call in order among the messages, opens to its arguments and result, and adds new ones live', async () => {
    // Test mode: the tool's mocks answer (nothing leaves the machine).
    const tool = await call('POST', '/v1/tools', {
      name: 'order_status',
      description: 'Looks up an order by its number.',
      effect: 'read',
      input_schema: {
        type: 'object',
        properties: {
          order_id: { type: 'string', pattern: '[0-9]{3,10}', description: 'your order number' },
        },
        required: ['order_id'],
      },
      request: { method: 'GET', url: 'https://shop.example.com/orders/{order_id}' },
      result: { redact: ['card_last4'] },
      trigger: { keywords: ['order'] },
      reply: 'Your order {{args.order_id}} is {{result.status}}.',
      mocks: [
        { when: { order_id: '5531' }, response: { body: { status: 'shipped', card_last4: '4242' } } },
        { when: { order_id: '666' }, response: { status: 500, body: { error: 'down' } } },
      ],
    });
    await call('POST', '/v1/agents', { name: 'Corner Shop', tools: ['handoff', tool.id] });
    const from = '+919811009001';
    const first = await call('POST', '/v1/sandbox/inbound', { from, text: 'where is my order 5531?' });
    const conv = first.conversation_id as string;
    const aiReplies = async (n: number) =>
      eventually(async () => {
        const m = await call('GET', `/v1/conversations/${conv}/messages?per_page=100`);
        return (m.data as any[]).filter((x) => x.sender.type === 'ai').length >= n ? true : null;
      }, 20_000);
    await aiReplies(1);

    await page.goto(`${world.url}/app/c/${conv}`);
    const log = page.getByRole('log', { name: 'Messages' });
    const line = log.locator('.tool-call');
    await line.first().waitFor();
    // In order: the customer's question, the tool call, the AI's answer.
    const order = async () =>
      log
        .locator('.bubble, .tool-call')
        .evaluateAll((els) =>
          els.map((e) =>
            e.classList.contains('tool-call')
              ? `tool:${e.getAttribute('data-status')}`
              : (e.querySelector('p')?.textContent ?? e.textContent ?? '').trim().slice(0, 30),
          ),
        );
    const seen = await order();
    assert.equal(seen.length, 3, seen.join(' | '));
    assert.match(seen[0]!, /where is my order 5531/);
    assert.equal(seen[1], 'tool:mocked');
    assert.match(seen[2]!, /Your order 5531 is shipped/);
    const summary = line.first().locator('summary');
    assert.match((await summary.textContent()) ?? '', /order_status · answered by a mock · \d+ ms/);
    // Closed, the arguments are not shown; opened, the recorded arguments and the redacted result.
    assert.equal(await line.first().locator('.tool-args').isVisible(), false);
    await summary.click();
    assert.match((await line.first().locator('.tool-args').textContent()) ?? '', /"order_id": "5531"/);
    const result = (await line.first().locator('.tool-result').textContent()) ?? '';
    assert.match(result, /"status": "shipped"/);
    assert.doesNotMatch(result, /4242/);

    // A failing call arrives live, after the messages before it.
    await call('POST', '/v1/sandbox/inbound', { from, text: 'and my order 666?' });
    await eventually(async () => ((await line.count()) === 2 ? true : null), 20_000);
    const failed = line.nth(1);
    assert.equal(await failed.getAttribute('data-status'), 'failed');
    assert.match((await failed.locator('summary').textContent()) ?? '', /failed \(http_error\)/);
    await aiReplies(2);
    await eventually(async () => ((await order()).length === 6 ? true : null));
    const after = await order();
    assert.equal(after[4], 'tool:failed', after.join(' | '));
    if (process.env.PARLEY_SHOT_TOOLS) await page.screenshot({ path: process.env.PARLEY_SHOT_TOOLS });
  });
});
