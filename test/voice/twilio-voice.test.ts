import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { mulawToPcm16 } from '../../src/modules/voice/audio/codec.ts';
import { CallPacer, CarrierError } from '../../src/modules/voice/carriers/carrier-error.ts';
import { type StreamStart, TwilioMediaStream } from '../../src/modules/voice/carriers/twilio/media-stream.ts';
import { TwilioVoiceClient } from '../../src/modules/voice/carriers/twilio/twilio-voice.client.ts';
import {
  type CallStatus,
  isForward,
  parseVoiceCallback,
  verifyTwilioSignature,
} from '../../src/modules/voice/carriers/twilio/twilio-voice.status.ts';
import { connectStreamTwiml, transferTwiml } from '../../src/modules/voice/carriers/twilio/twiml.ts';
import { speechLikeMulaw } from '../fakes/callee-audio.ts';
import { FakeTwilioVoice } from '../fakes/twilio-voice.ts';

/**
 * The Twilio voice pieces against a local fake that speaks Twilio's documented protocols (REST
 * Calls resource, signed status callbacks, bidirectional Media Streams; message shapes from
 * https://www.twilio.com/docs/voice/media-streams/websocket-messages). The server side here is a
 * bare HTTP + WebSocket server wired the way Parley's hook routes use these pieces.
 */

interface Live {
  stream: TwilioMediaStream;
  start?: StreamStart;
  energyFrames: number;
  marks: { name: string; played: boolean }[];
  dtmf: string[];
  stops: string[];
  /** The `timestamp` of each inbound frame passed on. */
  timestamps: number[];
}

describe('Twilio voice: REST calls, signed callbacks and Media Streams against a fake Twilio', () => {
  const fake = new FakeTwilioVoice();
  let server: Server;
  let base = '';
  const tokens = new Map<string, string>(); // call id -> token
  const live: Live[] = [];
  const callbacks: { form: Record<string, string>; verified: boolean }[] = [];
  let client: TwilioVoiceClient;
  const creds = () => ({ account_sid: fake.accountSid, auth_token: fake.authToken });

  before(async () => {
    await fake.start();
    client = new TwilioVoiceClient({ apiUrl: fake.url });
    const wss = new WebSocketServer({ noServer: true });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
        const verified = verifyTwilioSignature(
          fake.authToken,
          req.headers['x-twilio-signature'],
          `${base}${req.url}`,
          form,
        );
        callbacks.push({ form, verified });
        res.writeHead(verified ? 204 : 401).end();
      });
    });
    server.on('upgrade', (req, socket, head) => {
      const url = `${base.replace('http:', 'ws:')}${req.url}`;
      if (!verifyTwilioSignature(fake.authToken, req.headers['x-twilio-signature'], url)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const entry: Live = {
          energyFrames: 0,
          marks: [],
          dtmf: [],
          stops: [],
          timestamps: [],
        } as unknown as Live;
        entry.stream = new TwilioMediaStream(ws, {
          onStart: (start) => {
            entry.start = start;
            const { call_id, token } = start.customParameters;
            return !!call_id && tokens.get(call_id) === token;
          },
          onAudio: (mulaw, timestamp) => {
            entry.timestamps.push(timestamp);
            const pcm = mulawToPcm16(mulaw);
            let e = 0;
            for (const s of pcm) e += s * s;
            if (Math.sqrt(e / pcm.length) > 500) {
              entry.energyFrames++;
              // Barge-in as the engine does it: caller speech while we still have audio queued.
              if (entry.energyFrames === 5 && entry.stream.queuedMs > 0) entry.stream.clear();
            }
          },
          onMark: (name, played) => entry.marks.push({ name, played }),
          onDtmf: (d) => entry.dtmf.push(d),
          onStop: (reason) => entry.stops.push(reason),
        });
        live.push(entry);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const l of live) l.stream.close();
    await fake.stop();
    server.closeAllConnections();
    server.close();
  });

  async function place(
    callId: string,
    token: string,
    extra: Partial<Parameters<TwilioVoiceClient['placeCall']>[1]> = {},
  ) {
    tokens.set(callId, token);
    return client.placeCall(creds(), {
      to: '+14155550100',
      from: '+14155550199',
      twiml: connectStreamTwiml(`${base.replace('http:', 'ws:')}/media`, { call_id: callId, token }),
      statusCallbackUrl: `${base}/voice-status`,
      machineDetection: true,
      ...extra,
    });
  }

  it('places a call with the stream TwiML, every status event, ring timeout and async AMD', async () => {
    fake.scripts.push({ steps: [{ hangup: true }] });
    const placed = await place('call_1', 'tok_1', { record: true, timeoutSeconds: 20 });
    assert.match(placed.callSid, /^CA[0-9a-f]{32}$/);
    const call = fake.calls.get(placed.callSid)!;
    assert.equal(call.form.To, '+14155550100');
    assert.equal(call.form.From, '+14155550199');
    assert.match(call.form.Twiml, /<Connect><Stream url="ws:\/\/127\.0\.0\.1:\d+\/media">/);
    assert.deepEqual(call.parameters, { call_id: 'call_1', token: 'tok_1' });
    assert.deepEqual(call.statusCallbackEvents, ['initiated', 'ringing', 'answered', 'completed']);
    assert.equal(call.form.Timeout, '20');
    assert.equal(call.form.AsyncAmd, 'true');
    assert.equal(call.form.MachineDetection, 'DetectMessageEnd');
    assert.equal(call.form.Record, 'true');
    // The callee hangs up at once: completed comes last, then the recording.
    const done = await fake.waitFor(
      (c) => c.sid === placed.callSid && c.callbacks.some((cb) => cb.form.RecordingUrl),
    );
    const statuses = done.callbacks.filter((c) => c.form.CallStatus).map((c) => c.form.CallStatus);
    assert.deepEqual(statuses, ['initiated', 'ringing', 'in-progress', 'completed']);
    assert.ok(
      done.callbacks.every((c) => c.status === 204),
      'every callback verified',
    );
    const rec = parseVoiceCallback(done.callbacks.at(-1)!.form);
    assert.equal(rec.kind, 'recording');
  });

  it('streams: start carries the call id and token, audio goes out as 20 ms μ-law frames, marks come back played', async () => {
    fake.scripts.push({
      steps: [{ waitForMarks: 2 }, { pause: 200 }, { dtmf: '1' }, { pause: 100 }, { hangup: true }],
    });
    const placed = await place('call_2', 'tok_2');
    const call = await fake.waitFor(
      (c) => c.sid === placed.callSid && c.framesReceived === 0 && !!c.streamUrl,
    );
    const entry = await waitForLive(live, placed.callSid);
    assert.deepEqual(entry.start!.customParameters, { call_id: 'call_2', token: 'tok_2' });
    entry.stream.sendAudio(speechLikeMulaw(200)); // 10 frames
    entry.stream.mark('seg-1');
    entry.stream.sendAudio(speechLikeMulaw(110)); // 5.5 frames: padded to 6 at the mark
    entry.stream.mark('seg-2');
    await fake.waitFor((c) => c === call && c.status === 'completed');
    assert.equal(call.framesReceived, 16);
    assert.equal(call.badFrames, 0);
    assert.deepEqual(call.marksEchoed, ['seg-1', 'seg-2']);
    assert.deepEqual(entry.marks, [
      { name: 'seg-1', played: true },
      { name: 'seg-2', played: true },
    ]);
    assert.deepEqual(entry.dtmf, ['1']);
    await waitUntil(() => entry.stops.length > 0);
    assert.equal(entry.stops[0], 'stop');
  });

  it('media sequenceNumber: a repeated frame and one that arrives after the next are dropped, a missing one is noted', async () => {
    // Chunk 5 arrives twice, chunk 10 after chunk 11, chunk 20 never.
    fake.scripts.push({
      mediaFaults: { repeat: 5, swap: 10, lose: 20 },
      steps: [{ pause: 700 }, { hangup: true }],
    });
    const placed = await place('call_seq', 'tok_seq');
    const entry = await waitForLive(live, placed.callSid);
    await waitUntil(() => entry.stops.length > 0);
    const ts = entry.timestamps;
    assert.ok(ts.length >= 25, `frames ${ts.length}`);
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i] > ts[i - 1], `in order at ${i}: ${ts.join(',')}`);
    assert.equal(ts.filter((x) => x === 100).length, 1, 'chunk 5 once');
    assert.ok(!ts.includes(200), 'chunk 10 came after chunk 11: stale, dropped');
    assert.ok(ts.includes(220) && !ts.includes(400) && ts.includes(420));
    assert.deepEqual(entry.stream.inbound, { frames: ts.length, dropped: 2, missing: 2 });
  });

  it('barge-in: caller speech while audio plays makes Parley send clear; unplayed marks come back unplayed', async () => {
    fake.scripts.push({
      steps: [{ waitForAgentAudioMs: 200 }, { say: 600 }, { pause: 300 }, { hangup: true }],
    });
    const placed = await place('call_3', 'tok_3');
    const entry = await waitForLive(live, placed.callSid);
    for (let i = 1; i <= 4; i++) {
      entry.stream.sendAudio(speechLikeMulaw(500, i));
      entry.stream.mark(`seg-${i}`);
    }
    const call = await fake.waitFor((c) => c.sid === placed.callSid && c.status === 'completed');
    assert.equal(call.clears, 1);
    // The caller started at sayAt; clear followed within 5 frames of speech plus delivery.
    assert.ok(call.clearAt[0] >= call.sayAt[0]);
    assert.ok(call.playedMs < 2000, `only part of the 2 s was played (${call.playedMs} ms)`);
    const played = entry.marks.filter((m) => m.played).map((m) => m.name);
    const unplayed = entry.marks.filter((m) => !m.played).map((m) => m.name);
    assert.deepEqual([...played, ...unplayed].sort(), ['seg-1', 'seg-2', 'seg-3', 'seg-4']);
    assert.ok(!played.includes('seg-4') && unplayed.includes('seg-4'));
  });

  it('refuses a forged or missing upgrade signature and a start with the wrong token or an unknown call', async () => {
    fake.scripts.push({ streamSignature: 'forged' });
    const forged = await place('call_4', 'tok_4');
    let call = await fake.waitFor((c) => c.sid === forged.callSid && !!c.streamClose);
    assert.equal(call.streamClose!.code, 403);
    fake.scripts.push({ streamSignature: 'none' });
    const unsigned = await place('call_5', 'tok_5');
    call = await fake.waitFor((c) => c.sid === unsigned.callSid && !!c.streamClose);
    assert.equal(call.streamClose!.code, 403);
    fake.scripts.push({ streamParameters: { call_id: 'call_6', token: 'not-the-token' } });
    const wrong = await place('call_6', 'tok_6');
    call = await fake.waitFor((c) => c.sid === wrong.callSid && !!c.streamClose);
    assert.equal(call.streamClose!.code, 1008);
    fake.scripts.push({ streamParameters: { call_id: 'call_unknown', token: 'x' } });
    const unknown = await place('call_7', 'tok_7');
    call = await fake.waitFor((c) => c.sid === unknown.callSid && !!c.streamClose);
    assert.equal(call.streamClose!.code, 1008);
  });

  it('a forged status callback fails verification', () => {
    const form = { CallSid: 'CA1', CallStatus: 'completed', SequenceNumber: '3' };
    const url = `${base}/voice-status`;
    assert.equal(verifyTwilioSignature(fake.authToken, fake.sign(url, form), url, form), true);
    assert.equal(
      verifyTwilioSignature(fake.authToken, fake.sign(url, { ...form, CallStatus: 'busy' }), url, form),
      false,
    );
    assert.equal(verifyTwilioSignature(fake.authToken, undefined, url, form), false);
    assert.equal(verifyTwilioSignature('another-token', fake.sign(url, form), url, form), false);
  });

  it('callbacks out of order or repeated never move the status backwards', async () => {
    for (const order of ['reversed', 'duplicated'] as const) {
      fake.scripts.push({ outcome: 'busy', callbackOrder: order });
      const placed = await place(`call_${order}`, 'tok');
      const call = await fake.waitFor(
        (c) => c.sid === placed.callSid && c.callbacks.length >= (order === 'duplicated' ? 6 : 3),
      );
      // Applied as Parley applies them: highest sequence seen, and forward only.
      let status: CallStatus = 'queued';
      let lastSeq = -1;
      const applied: string[] = [];
      for (const { form } of call.callbacks) {
        const cb = parseVoiceCallback(form);
        if (cb.kind !== 'status' || (cb.sequence !== undefined && cb.sequence <= lastSeq)) continue;
        lastSeq = cb.sequence ?? lastSeq;
        if (isForward(status, cb.status)) {
          status = cb.status;
          applied.push(status);
        }
      }
      assert.equal(status, 'busy');
      assert.deepEqual(applied, order === 'reversed' ? ['busy'] : ['dialing', 'ringing', 'busy']);
    }
  });

  it('maps carrier refusals to ended reasons; hangup of an ended call is not an error; transfer redirects', async () => {
    const cases: [number, string][] = [
      [21211, 'invalid_number'],
      [21210, 'failed_to_connect'],
      [21215, 'failed_to_connect'],
      [20003, 'provider_error'],
    ];
    for (const [code, reason] of cases) {
      fake.scripts.push({ error: { status: code === 20003 ? 401 : 400, code } });
      await assert.rejects(place('call_err', 't'), (err: CarrierError) => {
        assert.ok(err instanceof CarrierError);
        assert.equal(err.reason, reason);
        assert.equal(err.providerCode, String(code));
        assert.equal(err.retryable, false);
        return true;
      });
    }
    fake.scripts.push({ error: { status: 503, code: 20500 } });
    await assert.rejects(place('call_err', 't'), (err: CarrierError) => err.retryable === true);

    fake.scripts.push({ steps: [{ pause: 60_000 }] });
    const placed = await place('call_8', 'tok_8');
    await waitForLive(live, placed.callSid);
    await client.redirect(
      creds(),
      placed.callSid,
      transferTwiml('+919811112222', { say: 'Connecting you.' }),
    );
    const call = fake.calls.get(placed.callSid)!;
    assert.match(
      call.updates[0].Twiml,
      /<Say>Connecting you\.<\/Say><Dial><Number>\+919811112222<\/Number><\/Dial>/,
    );
    assert.deepEqual(await client.hangup(creds(), placed.callSid), { alreadyEnded: false });
    await fake.waitFor((c) => c === call && c.status === 'completed');
    // Twilio accepts Status=completed on a call that has ended; either way it is not an error.
    await client.hangup(creds(), placed.callSid);
    assert.deepEqual(await client.hangup(creds(), 'CA00000000000000000000000000000000'), {
      alreadyEnded: true,
    });
    await assert.rejects(
      client.redirect(creds(), placed.callSid, transferTwiml('+1', {})),
      (e: CarrierError) => e.alreadyEnded,
    );
  });

  it('paces dials per channel at one call per second (Twilio default CPS)', () => {
    let now = 0;
    const pacer = new CallPacer(() => now);
    assert.deepEqual(
      [0, 1, 2].map(() => pacer.reserve('ch_a')),
      [0, 1000, 2000],
    );
    assert.equal(pacer.reserve('ch_b'), 0, 'another channel has its own pace');
    now = 1500;
    assert.equal(pacer.reserve('ch_a'), 1500, 'the slot after the last one booked');
    now = 10_000;
    assert.equal(pacer.reserve('ch_a'), 0);
    assert.equal(pacer.reserve('ch_c', 5), 0);
    assert.equal(pacer.reserve('ch_c', 5), 200);
  });
});

async function waitForLive(live: Live[], callSid: string): Promise<Live> {
  await waitUntil(() => live.some((l) => l.start?.callSid === callSid && !l.stream.ended));
  return live.find((l) => l.start?.callSid === callSid)!;
}

/** Polls a condition on the event loop (each turn, no fixed sleep decides the outcome). */
async function waitUntil(cond: () => boolean, timeoutMs = 10_000) {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Twilio Media Streams: outbound pacing', () => {
  /** A socket stand-in: what the stream writes, and a way to hand it Twilio's messages. */
  function fakeSocket() {
    const socket = Object.assign(new EventEmitter(), {
      OPEN: 1,
      readyState: 1,
      sent: [] as any[],
      send(text: string) {
        socket.sent.push(JSON.parse(text));
      },
      close() {
        socket.readyState = 3;
      },
    });
    return socket;
  }

  it('a timer that fires after the frame should have played reports the frame as late by that much (not as a fresh start)', async () => {
    const socket = fakeSocket();
    let clock = 1000;
    const lateness: number[] = [];
    let frameSent: () => void = () => {};
    const stream = new TwilioMediaStream(
      socket as never,
      {
        onStart: () => true,
        onFrameSent: (ms) => {
          lateness.push(ms);
          frameSent();
        },
      },
      { now: () => clock, leadMs: 80 },
    );
    socket.emit(
      'message',
      Buffer.from(
        JSON.stringify({
          event: 'start',
          sequenceNumber: '1',
          streamSid: 'MZ1',
          start: { streamSid: 'MZ1', callSid: 'CA1', accountSid: 'AC1', customParameters: {} },
        }),
      ),
      false,
    );
    await new Promise((r) => setImmediate(r));
    // 10 frames: those due within the 80 ms lead go out at once (5), the rest wait for a timer.
    const sixth = new Promise<void>((r) => {
      frameSent = () => lateness.length === 6 && r();
    });
    stream.sendAudio(new Uint8Array(1600).fill(0x7f));
    assert.deepEqual(lateness, [0, 0, 0, 0, 0]);
    // The event loop stalls for 300 ms before the timer (due at 1020) runs: the 6th frame, due to
    // play at 1100, goes out at 1300: 280 ms after it was due (80 ms of lead, then 200 of silence).
    clock = 1300;
    await sixth;
    assert.equal(lateness[5], 280);
    assert.equal(socket.sent.filter((m) => m.event === 'media').length >= 6, true);
    // The media message is Twilio's shape.
    const media = socket.sent.find((m) => m.event === 'media');
    assert.deepEqual(Object.keys(media), ['event', 'streamSid', 'media']);
    assert.equal(media.streamSid, 'MZ1');
    assert.equal(Buffer.from(media.media.payload, 'base64').length, 160);
    stream.close();
  });
});
