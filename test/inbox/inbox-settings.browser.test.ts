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
import { startFakeLlm } from '../support/fake-llm.ts';
import { forEachStorage } from '../support/harness.ts';
import { reminderFlow } from '../support/voice-flows.ts';

// The docs' screenshots are retaken with PARLEY_SCREENSHOTS=1; other runs leave the repo clean.
const SHOTS = process.env.PARLEY_SCREENSHOTS
  ? new URL('../../docs/screenshots/', import.meta.url)
  : pathToFileURL(`${mkdtempSync(join(tmpdir(), 'parley-shots-'))}/`);
const shot = (page: Page, name: string, fullPage = false) =>
  page.screenshot({ path: new URL(name, SHOTS).pathname, fullPage });

/**
 * An agent's settings as forms, in Chromium: business hours edited in the week grid, the API's
 * validation error shown beside the input it names, then saved; a service row refused beside
 * its own cell.
 */
forEachStorage('agent settings as forms', (storage) => {
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

  const agentNamed = async (name: string) => {
    const res = await world.app.call('POST', '/v1/agents', {
      key: world.key,
      body: { name, business: { timezone: 'Asia/Kolkata' } },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };
  const openSettings = async (name: string) => {
    const { page } = await newPage(chrome.browser);
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await signIn(page, world, world.admin, '/app/manage/agents');
    await page
      .getByRole('row', { name: new RegExp(name) })
      .getByRole('button', { name: 'Settings' })
      .click();
    return page;
  };

  it("edits an agent's hours in the week grid; a closing time before opening is shown beside it", async () => {
    const id = await agentNamed('Clinic front desk');
    const page = await openSettings('Clinic front desk');
    const form = page.getByRole('form', { name: 'Business hours' });
    await form.getByLabel('Monday closes').fill('08:00');
    await form.getByRole('button', { name: 'Save' }).click();
    const error = form.locator('#agent-business-hours-mon-0-error');
    await error.filter({ hasText: 'open must be before close' }).waitFor();
    assert.equal(await form.getByLabel('Monday closes').getAttribute('aria-invalid'), 'true');
    await shot(page, 'manage-agent-hours-error.png');
    assert.equal(
      await form.getByLabel('Monday closes').getAttribute('aria-describedby'),
      'agent-business-hours-mon-0-error',
    );
    // Nothing was saved.
    let agent = (await world.app.call('GET', `/v1/agents/${id}`, { key: world.key })).body;
    assert.deepEqual(agent.business.hours.mon, [{ open: '09:00', close: '17:00' }]);

    await form.getByLabel('Monday closes').fill('18:30');
    await form.locator('tr[data-day=sat]').getByRole('button', { name: 'Add hours' }).click();
    await form.getByLabel('Saturday opens').fill('10:00');
    await form.getByLabel('Saturday closes').fill('14:00');
    await form.locator('tr[data-day=fri]').getByRole('button', { name: 'Closed' }).click();
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await shot(page, 'manage-agent-settings.png', true);
    assert.equal(await error.count(), 0);
    agent = (await world.app.call('GET', `/v1/agents/${id}`, { key: world.key })).body;
    assert.deepEqual(agent.business.hours.mon, [{ open: '09:00', close: '18:30' }]);
    assert.deepEqual(agent.business.hours.sat, [{ open: '10:00', close: '14:00' }]);
    assert.deepEqual(agent.business.hours.fri, []);
    await page.context().close();
  });

  it("sets the agent's own model (a missing base URL refused beside it) and checks it against the server", async () => {
    const llm = await startFakeLlm();
    try {
      const id = await agentNamed('Own model desk');
      const page = await openSettings('Own model desk');
      const form = page.getByRole('form', { name: 'Model' });
      await form.getByLabel('Provider').selectOption('openai_compatible');
      await form.getByLabel('Model name').fill('llama3.1:8b');
      await form.getByRole('button', { name: 'Save' }).click();
      await form.locator('#agent-model-base_url-error').filter({ hasText: 'is required' }).waitFor();
      assert.equal(
        (await world.app.call('GET', `/v1/agents/${id}`, { key: world.key })).body.model.provider,
        'builtin',
      );
      await form.getByLabel('Base URL').fill(llm.url);
      await form.getByLabel('API key').fill('sk-local-check');
      await form.getByLabel('Time budget per reply (seconds)').fill('45');
      await form.getByLabel(/built-in engine answers/).check();
      await form.getByRole('button', { name: 'Save' }).click();
      await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      const model = (await world.app.call('GET', `/v1/agents/${id}`, { key: world.key })).body.model;
      assert.deepEqual(
        [model.provider, model.name, model.base_url, model.api_key_set, model.timeout_ms, model.fallbacks],
        ['openai_compatible', 'llama3.1:8b', llm.url, true, 45_000, ['builtin']],
      );
      // The check: the server answers text, a streamed answer, a tool call and JSON.
      llm.script.push(
        { content: 'OK' },
        { tool_calls: [{ name: 'current_time', arguments: '{"city":"Mumbai"}' }] },
        { content: '{"ok": true}' },
      );
      const check = page.getByRole('region', { name: 'Check the model' });
      await check.getByRole('button', { name: 'Check the model' }).click();
      const result = check.getByRole('status');
      await result.waitFor();
      const facts = (await result.textContent()) ?? '';
      assert.match(facts, /Reachable\s*yes/);
      assert.match(facts, /Tool calling\s*yes/);
      assert.equal(llm.requests.at(-1)!.headers.authorization, 'Bearer sk-local-check');
      await page.context().close();
    } finally {
      await llm.close();
    }
  });

  it('adds a service in its table; a too-short duration is refused beside its cell', async () => {
    const id = await agentNamed('Salon desk');
    const page = await openSettings('Salon desk');
    const form = page.getByRole('form', { name: 'Services' });
    await form.getByRole('button', { name: 'Add a service' }).click();
    await form.getByLabel('Service (row 1)').fill('Haircut');
    await form.getByLabel('Minutes (row 1)').fill('2');
    await form.getByLabel('Price (row 1)').fill('500');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.locator('#business-services-0-duration_minutes-error').waitFor();
    assert.equal(await form.getByLabel('Minutes (row 1)').getAttribute('aria-invalid'), 'true');
    await form.getByLabel('Minutes (row 1)').fill('45');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const agent = (await world.app.call('GET', `/v1/agents/${id}`, { key: world.key })).body;
    assert.equal(agent.business.services.length, 1);
    assert.equal(agent.business.services[0].name, 'Haircut');
    assert.equal(agent.business.services[0].duration_minutes, 45);
    assert.equal(agent.business.services[0].price, 500);
    await page.context().close();
  });

  it('channels list each channel; one the channel doctor cannot check says so in a plain note', async () => {
    const inbound = await world.app.call('POST', '/v1/sandbox/inbound', {
      key: world.key,
      body: { from: '+919833000001', text: 'hello' },
    });
    assert.ok(inbound.status < 300, inbound.text);
    const channels = (await world.app.call('GET', '/v1/channels', { key: world.key })).body.data;
    const wa = channels.find((c: { type: string }) => c.type === 'whatsapp');
    const { page } = await newPage(chrome.browser);
    await signIn(page, world, world.admin, '/app/manage/channels');
    const card = page.getByRole('article', { name: `Channel ${wa.address}` });
    // The sandbox's number is not on Meta: the doctor has nothing to ask (the API answers 422),
    // so the card says so instead of offering a check that can only fail.
    assert.notEqual(wa.provider, 'meta');
    const doctor = await world.app.call('POST', `/v1/channels/${wa.id}/check`, { key: world.key });
    assert.equal(doctor.status, 422, doctor.text);
    await card.getByRole('status').filter({ hasText: 'nothing for it to check' }).waitFor();
    assert.equal(await card.getByRole('button', { name: 'Check' }).count(), 0);
    await shot(page, 'manage-channels.png');
    await page.context().close();
  });

  it('draws a voice flow as a diagram and runs its test, marking the path taken', async () => {
    const created = await world.app.call('POST', '/v1/voice-flows', { key: world.key, body: reminderFlow() });
    assert.equal(created.status, 201, created.text);
    const { page } = await newPage(chrome.browser);
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await signIn(page, world, world.admin, '/app/manage/voice-flows');
    const diagram = page.getByRole('img', { name: 'Diagram of Appointment reminder' });
    await diagram.waitFor();
    assert.equal(await diagram.locator('g.node').count(), 8);
    assert.equal(await diagram.locator('g.edge').count(), 7);
    await diagram.locator('g.edge[data-from=route][data-to=when]', { hasText: 'answer eq no' }).waitFor();
    await page.getByLabel(/What the caller says/).fill('dtmf 1');
    await page.getByRole('button', { name: 'Run the test' }).click();
    const result = page.getByRole('region', { name: 'Test result' });
    await result.getByText('confirmed').first().waitFor();
    await result.getByText('Thank you, see you soon!').waitFor();
    for (const id of ['greet', 'confirm', 'route', 'thanks'])
      assert.match((await diagram.locator(`g.node[data-id=${id}]`).getAttribute('class')) ?? '', /visited/);
    await shot(page, 'manage-voice-flow.png', true);
    assert.doesNotMatch(
      (await diagram.locator('g.node[data-id=bye]').getAttribute('class')) ?? '',
      /visited/,
    );
    await page.context().close();
  });
});
