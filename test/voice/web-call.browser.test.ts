import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { findBuiltinEngines } from '../../src/modules/voice/speech/builtin.ts';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  chromiumMissing,
  type InboxWorld,
  startInboxWorld,
} from '../support/browser.ts';
import { eventually, forEachStorage } from '../support/harness.ts';

/**
 * The web-call page (`/app/call/{id}?token=...`) in Debian's Chromium with a fake microphone:
 * it joins the call's media WebSocket, sends the microphone's audio, plays the agent's and shows
 * the transcript. Without the call's token the page is refused and says what it needs.
 */
const found = findBuiltinEngines();

forEachStorage('the web-call page', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let browser: Browser;
  let agentId: string;
  before(async () => {
    [world, browser] = await Promise.all([
      startInboxWorld(storage),
      chromium.launch({
        executablePath: CHROMIUM,
        args: [
          ...CHROMIUM_ARGS,
          '--use-fake-device-for-media-stream',
          '--use-fake-ui-for-media-stream',
          '--autoplay-policy=no-user-gesture-required',
        ],
      }),
    ]);
    const agent = await world.app.call('POST', '/v1/agents', {
      key: world.key,
      body: { name: 'Glow Salon', greeting: 'Hello, Glow Salon here. How can I help?' },
    });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
  });
  after(async () => {
    await browser?.close();
    await world?.close();
  });

  const webCall = async () => {
    const res = await world.app.call('POST', '/v1/calls', {
      key: world.key,
      body: { calls: [{ agent_id: agentId, transport: 'web' }] },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.results[0] as { call: { id: string }; media_session: { token: string } };
  };

  it('is served with the call token, and refused (saying why) without it', async () => {
    const { call, media_session } = await webCall();
    const ok = await fetch(`${world.url}/app/call/${call.id}?token=${media_session.token}`);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    assert.match(await ok.text(), /call\.js/);
    for (const query of ['', '?token=nope', `?token=${(await webCall()).media_session.token}`]) {
      const refused = await fetch(`${world.url}/app/call/${call.id}${query}`);
      assert.equal(refused.status, 401, query);
    }
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${world.url}/app/call/${call.id}`);
    await page.getByRole('alert').filter({ hasText: "This link needs the call's token" }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Start call' }).isDisabled(), true);
    await context.close();
    await world.app.call('POST', `/v1/calls/${call.id}/hangup`, { key: world.key });
  });

  it('joins the call from the microphone, plays the greeting and shows the transcript', async () => {
    const { call, media_session } = await webCall();
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await page.goto(`${world.url}/app/call/${call.id}?token=${media_session.token}`);
    await page.getByRole('button', { name: 'Start call' }).click();
    const transcript = page.getByRole('list', { name: 'Transcript' });
    await transcript.locator('li.agent', { hasText: 'Hello, Glow Salon here.' }).waitFor({ timeout: 20_000 });
    // The microphone's audio goes out as 20 ms frames.
    await page.locator('body:not([data-audio-out="0"])').waitFor({ timeout: 20_000 });
    // The greeting's audio is played when espeak-ng is installed to speak it.
    if (found.espeak) await page.locator('body:not([data-audio-in="0"])').waitFor({ timeout: 20_000 });
    if (!found.pocketsphinx)
      await transcript.locator('li.notice', { hasText: 'not understood' }).waitFor({ timeout: 20_000 });
    // A typed turn is heard and answered.
    await page.getByLabel('Type what you would say').fill('What are your opening hours?');
    await page.getByRole('button', { name: 'Send' }).click();
    await transcript
      .locator('li.customer', { hasText: 'What are your opening hours?' })
      .waitFor({ timeout: 20_000 });
    const answered = await eventually(async () => {
      const c = await world.app.call('GET', `/v1/calls/${call.id}`, { key: world.key });
      return c.body.status === 'in_progress' &&
        c.body.transcript.some(
          (x: { role: string; text: string }) => x.text === 'What are your opening hours?',
        )
        ? c.body
        : null;
    }, 20_000);
    assert.equal(answered.transcript[0].role, 'agent', JSON.stringify(answered.transcript));
    await page.getByRole('button', { name: 'Hang up' }).click();
    await page.locator('#state[data-state=ended]').waitFor({ timeout: 20_000 });
    await page.getByLabel('Type what you would say').waitFor({ state: 'hidden' });
    if (process.env.PARLEY_SCREENSHOTS)
      await page.screenshot({
        path: new URL('../../docs/screenshots/web-call-phone.png', import.meta.url).pathname,
      });
    const done = await eventually(async () => {
      const c = await world.app.call('GET', `/v1/calls/${call.id}`, { key: world.key });
      return c.body.status === 'completed' ? c.body : null;
    });
    assert.equal(done.ended_reason, 'customer_ended_call');
    // The agent's greeting (as far as it was heard: sounds from the fake microphone pause it, they
    // do not cut it) and the typed turn are in the call's transcript.
    assert.equal(done.transcript[0].role, 'agent', JSON.stringify(done.transcript));
    assert.ok(
      done.transcript.some(
        (x: { role: string; text: string }) =>
          x.role === 'customer' && x.text === 'What are your opening hours?',
      ),
      JSON.stringify(done.transcript),
    );
    // No placeholder turn ever stood in for audio that was not understood.
    for (const turn of done.transcript as Array<{ text: string }>)
      assert.doesNotMatch(turn.text, /^\[speech/);
    await context.close();
  });
});
