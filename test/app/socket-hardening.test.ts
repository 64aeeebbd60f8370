import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import WebSocket from 'ws';
import { twilioSignature } from '../../src/modules/voice/carriers/twilio/twilio-voice.status.ts';
import { FakeTwilioVoice } from '../fakes/twilio-voice.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

type Msg = Record<string, any>;

/**
 * Every WebSocket Parley serves, fed every kind of bad frame: a text frame that is not UTF-8, a
 * frame over the socket's maxPayload, JSON that is not an object, and text that is not JSON. None
 * may end the process: afterwards the server still answers /healthz and a fresh socket still works.
 */

interface Opened {
  ws: WebSocket;
  messages: Msg[];
  closed: Promise<number>;
}

function open(url: string, headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const messages: Msg[] = [];
    ws.on('message', (data, isBinary) => {
      if (!isBinary) messages.push(JSON.parse(data.toString()));
    });
    ws.on('error', () => {}); // the server closing on a bad frame may reset the connection
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

/** The HTTP status of a refused upgrade (the socket never opens). */
function refusedWith(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('error', () => {});
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
  });
}

/**
 * In production an `error` event nobody listens to ends the process; under the test runner it
 * is reported here instead, so a test can say the server would have died.
 */
const uncaught: Error[] = [];
const onUncaught = (err: Error) => uncaught.push(err);

const KILLERS: Array<[string, (ws: WebSocket) => void]> = [
  ['a text frame that is not UTF-8', (ws) => ws.send(Buffer.from([0xff, 0xfe, 0xfd]), { binary: false })],
  ['a frame over maxPayload', (ws) => ws.send(Buffer.alloc(300 * 1024, 7), { binary: true })],
  ['a text frame over maxPayload', (ws) => ws.send('x'.repeat(300 * 1024))],
];
const NOT_OBJECTS = ['null', '[]', '42', '"hi"', 'true', 'not json {'];

forEachStorage('WebSocket hardening', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let base = '';
  let agentId = '';
  let twilioChannel = '';
  const twilio = new FakeTwilioVoice();

  before(async () => {
    // Only while these suites run: other test files may share this process.
    process.on('uncaughtException', onUncaught);
    await twilio.start();
    // A media socket that sends nothing for 3 s is closed (the tests' own sockets talk or close sooner).
    t = await startTestApp(storage, {
      env: { PARLEY_TWILIO_API_URL: twilio.url, PARLEY_MEDIA_IDLE_SECONDS: '3' },
    });
    base = await t.parley.app.listen({ port: 0, host: '127.0.0.1' });
    ws = await t.workspace({ default_country: 'US' });
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Glow Salon' } });
    agentId = agent.body.id;
    const ch = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'voice',
        provider: 'twilio',
        address: '+14155550199',
        credentials: { account_sid: twilio.accountSid, auth_token: twilio.authToken },
      },
    });
    assert.equal(ch.status, 201, ch.text);
    twilioChannel = ch.body.id;
  });
  after(async () => {
    process.off('uncaughtException', onUncaught);
    await t.close();
    await twilio.stop();
  });

  const webCall = async () => {
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: { calls: [{ agent_id: agentId, transport: 'web' }] },
    });
    assert.equal(res.status, 201, res.text);
    const u = new URL(res.body.results[0].media_session.url);
    return {
      id: res.body.results[0].call.id as string,
      url: `${base.replace(/^http/, 'ws')}${u.pathname}${u.search}`,
    };
  };
  const twilioUrl = () => `${base.replace(/^http/, 'ws')}/hooks/twilio/${twilioChannel}/media`;
  const openTwilio = () =>
    open(twilioUrl(), { 'x-twilio-signature': twilioSignature(twilio.authToken, twilioUrl()) });

  const healthy = async () => {
    assert.deepEqual(
      uncaught.splice(0).map((e) => e.message),
      [],
      'an error escaped a socket: the process would have exited',
    );
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    // And the media socket still takes a call.
    const fresh = await open((await webCall()).url);
    await eventually(async () => fresh.messages.find((m) => m.type === 'status'));
    fresh.ws.close();
    await fresh.closed;
  };

  const metric = async (line: string) => {
    const text = (await t.call('GET', '/metrics')).text;
    return Number(
      text
        .split('\n')
        .find((l) => l.startsWith(line))
        ?.split(' ')
        .pop() ?? 0,
    );
  };

  it('audio at 10x real time is dropped past a 2 s burst (counted), then the socket is closed 4429; other calls go on', async () => {
    // Another call streaming in real time, as a caller would (it is not idle).
    const other = await open((await webCall()).url);
    const talking = setInterval(() => other.ws.send(Buffer.alloc(640)), 20);
    const c = await open((await webCall()).url);
    await eventually(async () => c.messages.find((m) => m.type === 'status'));
    const droppedBefore = await metric('parley_media_frames_dropped_total{reason="over_rate"}');
    // 15 s of 20 ms frames at once: 2 s are taken as a burst, 10 s dropped close the socket.
    const frame = Buffer.alloc(640, 1);
    for (let i = 0; i < 750 && c.ws.readyState === WebSocket.OPEN; i++) c.ws.send(frame);
    assert.equal(await c.closed, 4429);
    const told = c.messages.find((m) => m.type === 'error' && m.code === 4429);
    assert.match(String(told?.message), /too fast/);
    const dropped = (await metric('parley_media_frames_dropped_total{reason="over_rate"}')) - droppedBefore;
    assert.ok(dropped >= 500, `dropped ${dropped}`);
    assert.ok((await metric('parley_media_sockets_closed_total{reason="too_fast"}')) >= 1);
    // The other call's socket is untouched and still answers.
    clearInterval(talking);
    assert.equal(other.ws.readyState, WebSocket.OPEN);
    other.ws.send('[]');
    await eventually(async () => other.messages.find((m) => m.type === 'error'));
    other.ws.close();
    await other.closed;
    await healthy();
  });

  it('frames of the wrong size are dropped and counted; the socket stays open and takes whole frames', async () => {
    const c = await open((await webCall()).url);
    await eventually(async () => c.messages.find((m) => m.type === 'status'));
    const before = await metric('parley_media_frames_dropped_total{reason="bad_size"}');
    c.ws.send(Buffer.alloc(641));
    c.ws.send(Buffer.alloc(1));
    c.ws.send(Buffer.alloc(40_000));
    await eventually(async () => c.messages.find((m) => m.type === 'error'));
    assert.match(String(c.messages.find((m) => m.type === 'error')?.message), /even number of bytes/);
    await eventually(
      async () => (await metric('parley_media_frames_dropped_total{reason="bad_size"}')) - before === 3,
    );
    c.ws.send(Buffer.alloc(640));
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    c.ws.close();
    await c.closed;
  });

  it('a media socket that sends nothing is closed 4408 after PARLEY_MEDIA_IDLE_SECONDS, and its call ends', async () => {
    const call = await webCall();
    const c = await open(call.url);
    assert.equal(await c.closed, 4408);
    assert.match(String(c.messages.find((m) => m.code === 4408)?.message), /idle/);
    await eventually(async () => {
      const res = await t.call('GET', `/v1/calls/${call.id}`, { key: ws.test });
      return ['completed', 'failed'].includes(res.body.status);
    });
    assert.ok((await metric('parley_media_sockets_closed_total{reason="idle"}')) >= 1);
  });

  it('the media socket checks its token before the upgrade: 401, 404-like and 409 are HTTP answers', async () => {
    const a = await webCall();
    const path = new URL(a.url);
    assert.equal(await refusedWith(`${path.origin}${path.pathname}`), 401);
    assert.equal(await refusedWith(`${path.origin}${path.pathname}?token=nope`), 401);
    const other = await webCall();
    assert.equal(
      await refusedWith(
        `${path.origin}${path.pathname}?token=${new URL(other.url).searchParams.get('token')}`,
      ),
      401,
    );
    await t.call('POST', `/v1/calls/${a.id}/hangup`, { key: ws.test });
    assert.equal(await refusedWith(a.url), 409);
    // No token shown, no frame read: a bad frame on a refused upgrade cannot reach the server.
    await healthy();
  });

  for (const [what, send] of KILLERS) {
    it(`the media socket closes on ${what} and the server lives on`, async () => {
      const c = await open((await webCall()).url);
      send(c.ws);
      const code = await c.closed;
      assert.ok(code >= 1000, `closed with ${code}`);
      await healthy();
    });
    it(`the Twilio media socket closes on ${what} and the server lives on`, async () => {
      const c = await openTwilio();
      send(c.ws);
      await c.closed;
      await healthy();
    });
  }

  it('the media socket answers JSON that is not an object, and text that is not JSON, with its error message', async () => {
    const c = await open((await webCall()).url);
    await eventually(async () => c.messages.find((m) => m.type === 'status'));
    for (const text of NOT_OBJECTS) {
      const before = c.messages.filter((m) => m.type === 'error').length;
      c.ws.send(text);
      await eventually(async () => c.messages.filter((m) => m.type === 'error').length > before);
    }
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    c.ws.close();
    await c.closed;
    await healthy();
  });

  it('the Twilio media socket takes JSON that is not an object, and text that is not JSON, without throwing', async () => {
    for (const text of NOT_OBJECTS) {
      const c = await openTwilio();
      c.ws.send(text);
      c.ws.send(JSON.stringify({ event: 'connected' }));
      c.ws.close();
      await c.closed;
    }
    await healthy();
  });

  it('an upgrade for no socket is 404, and a Twilio upgrade with a bad signature 403', async () => {
    assert.equal(await refusedWith(`${base.replace(/^http/, 'ws')}/v1/nothing-here`), 404);
    assert.equal(await refusedWith(twilioUrl()), 403);
    await healthy();
  });
});
