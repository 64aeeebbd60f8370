import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import WebSocket from 'ws';
import { mulawSilence, speechLikeMulaw } from './callee-audio.ts';

/**
 * A local stand-in for Twilio Programmable Voice, speaking its documented protocols:
 * - REST: `POST /2010-04-01/Accounts/{sid}/Calls.json` (basic auth, form) places a call; `POST
 *   .../Calls/{CallSid}.json` with `Status` or `Twiml` changes it. Errors are Twilio's body
 *   `{code, message, more_info, status}` (https://www.twilio.com/docs/voice/api/call-resource).
 * - Status callbacks: signed form POSTs (`X-Twilio-Signature`) with `CallStatus`, `SequenceNumber`,
 *   `CallbackSource=call-progress-events`; the async AMD verdict (`AnsweredBy`) to the AMD callback.
 * - Media Streams: on answer it parses `<Connect><Stream url>` and its `<Parameter>`s from the
 *   call's `Twiml`, opens the WebSocket with a correct `X-Twilio-Signature`, sends `connected` and
 *   `start`, then 20 ms `media` frames of the scripted callee (real μ-law audio), `dtmf`, `stop`.
 *   It plays what it receives in real time, echoes each `mark` when the audio before it has played,
 *   and on `clear` drops its buffer and echoes the pending marks
 *   (https://www.twilio.com/docs/voice/media-streams/websocket-messages).
 */

export type CalleeStep =
  /** Speak for `ms` of speech-like audio; `text` is what a fake recogniser should hear. */
  | { say: number; text?: string }
  | { dtmf: string }
  | { pause: number }
  /** Wait until this much of Parley's audio has played on the line (in all). */
  | { waitForAgentAudioMs: number }
  /** Wait until Parley has sent this many marks (spoken this many segments). */
  | { waitForMarks: number }
  /** Wait until this holds (checked every 20 ms frame): something outside this call happened. */
  | { until: () => boolean }
  | { hangup: true };

export interface CallScript {
  outcome?: 'answer' | 'busy' | 'no-answer' | 'failed';
  /** The async AMD verdict posted after answer (`human`, `machine_end_beep`, ...); none when unset. */
  answeredBy?: string;
  /** Post the AMD verdict once Parley has sent this many marks (default: at once, before the stream). */
  amdAfterMarks?: number;
  steps?: CalleeStep[];
  /** A refusal of the create itself. */
  error?: { status: number; code: number; message?: string };
  /**
   * Media frames as a network may deliver them: `repeat` sends that chunk twice (same
   * sequenceNumber), `swap` sends that chunk after the next one (out of order), `lose` never
   * sends that chunk (its sequenceNumber is skipped).
   */
  mediaFaults?: { repeat?: number; swap?: number; lose?: number };
  /** A refusal of every redirect (`Twiml` update) of this call: a transfer that fails. */
  redirectError?: { status: number; code: number; message?: string };
  /** How the media stream's upgrade is signed (default valid). */
  streamSignature?: 'valid' | 'forged' | 'none';
  /** Override the stream's custom parameters (a wrong token, an unknown call). */
  streamParameters?: Record<string, string>;
  /** Post the progress callbacks in this order of their sequence numbers (default in order). */
  callbackOrder?: 'in-order' | 'reversed' | 'duplicated';
  /**
   * Answer a hangup (`Status=completed` update), or a redirect whose call then ends at once (a
   * `<Dial>` that finished), only after the call's `completed` status callback has been posted:
   * Twilio's callbacks are asynchronous to its REST responses, so either may come first.
   */
  callbackFirst?: boolean;
  /**
   * A call whose TwiML is `<Say>` then `<Dial><Conference>` (a warm transfer's second leg): the
   * person hangs up once the `<Say>` is over instead of entering the room (declines).
   */
  declineAfterSay?: boolean;
  /** `SipResponseCode` on a `failed` outcome's callback (404: the number does not exist). */
  sipResponseCode?: string;
  /** Ring this long before the outcome (its progress so far is posted first); a hangup meanwhile ends it. */
  ringMs?: number;
}

/** A conference room as `<Dial><Conference>` makes it (https://www.twilio.com/docs/voice/twiml/conference). */
export interface FakeConference {
  sid: string;
  name: string;
  statusCallback?: string;
  statusCallbackEvents: string[];
  /** CallSids in the room, in the order they entered. */
  participants: string[];
}

export interface FakeCallRecord {
  sid: string;
  form: Record<string, string>;
  statusCallbackEvents: string[];
  streamUrl?: string;
  parameters: Record<string, string>;
  status: string;
  updates: Record<string, string>[];
  /** Outbound frames received (each a valid 160-byte μ-law frame, else counted in badFrames). */
  framesReceived: number;
  badFrames: number;
  playedMs: number;
  marksReceived: string[];
  marksEchoed: string[];
  clears: number;
  /** ms since the stream opened at which each `clear` arrived, and at which each callee `say` began. */
  clearAt: number[];
  sayAt: number[];
  streamClose?: { code: number; reason: string };
  callbacks: { form: Record<string, string>; status: number }[];
  /** ms since the stream opened at which each outbound media frame, and each mark echo, came. */
  frameAt: number[];
  markEchoAt: number[];
}

type Played = { kind: 'frame' } | { kind: 'mark'; name: string };

export class FakeTwilioVoice extends EventEmitter {
  readonly accountSid = `AC${randomBytes(16).toString('hex')}`;
  readonly authToken = randomBytes(16).toString('hex');
  readonly scripts: CallScript[] = [];
  readonly calls = new Map<string, FakeCallRecord>();
  /** When each Calls.json create arrived (ms, performance clock): the pace test reads it. */
  readonly createdAt: number[] = [];
  /** Conference rooms by name (`<Dial><Conference>` in a call's TwiML or a redirect). */
  readonly conferences = new Map<string, FakeConference>();
  /** How long a `<Say>` takes to speak, per word (60 ms: a brisk voice; a test may set less). */
  sayMsPerWord = 60;
  #server: Server | undefined;
  #sockets = new Set<WebSocket>();
  #timers = new Set<NodeJS.Timeout>();
  url = '';

  async start() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this.#handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop() {
    for (const t of this.#timers) clearInterval(t);
    for (const s of this.#sockets) s.terminate();
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => this.#server?.close(() => r()) ?? r());
  }

  /** The X-Twilio-Signature Twilio would send for `url` and `params`. */
  sign(url: string, params: Record<string, string> = {}) {
    return twilio.getExpectedTwilioSignature(this.authToken, url, params);
  }

  /** Resolves with the first call record for which `predicate` holds, checked on every change. */
  waitFor(predicate: (call: FakeCallRecord) => boolean, what = 'a call'): Promise<FakeCallRecord> {
    return new Promise((resolve) => {
      const check = () => {
        for (const call of this.calls.values())
          if (predicate(call)) {
            this.off('change', check);
            resolve(call);
            return true;
          }
        return false;
      };
      if (!check()) this.on('change', check);
      void what;
    });
  }

  #error(res: ServerResponse, status: number, code: number, message: string) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }),
    );
  }

  /**
   * Recording media by RecordingSid: `GET .../Recordings/{RE}` serves WAV, `.mp3` MP3, `.wav` WAV
   * (https://www.twilio.com/docs/voice/api/recording#fetch-a-recording-media-file), basic auth.
   */
  readonly recordings = new Map<string, { wav: Buffer; mp3: Buffer }>();
  /** Every recording fetch, with the Authorization it carried. */
  readonly recordingRequests: { path: string; authorization: string | undefined }[] = [];
  /** When set, every recording fetch answers this Twilio error instead. */
  recordingError: { status: number; code: number; message: string } | undefined;

  #recording(req: IncomingMessage, res: ServerResponse, path: string, expected: string) {
    const m = path.match(/^\/2010-04-01\/Accounts\/([^/]+)\/Recordings\/(RE[0-9a-f]+)(\.(wav|mp3))?$/)!;
    this.recordingRequests.push({ path, authorization: req.headers.authorization });
    if (m[1] !== this.accountSid || req.headers.authorization !== expected)
      return this.#error(res, 401, 20003, 'Authenticate');
    if (this.recordingError)
      return this.#error(
        res,
        this.recordingError.status,
        this.recordingError.code,
        this.recordingError.message,
      );
    const rec = this.recordings.get(m[2]);
    if (!rec) return this.#error(res, 404, 20404, `The requested resource ${path} was not found`);
    const mp3 = m[4] === 'mp3';
    const body = mp3 ? rec.mp3 : rec.wav;
    res.writeHead(200, { 'content-type': mp3 ? 'audio/mpeg' : 'audio/x-wav', 'content-length': body.length });
    res.end(body);
  }

  #handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const path = (req.url ?? '').split('?')[0];
    const params = new URLSearchParams(raw);
    const form = Object.fromEntries(params);
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (req.method === 'GET' && /^\/2010-04-01\/Accounts\/[^/]+\/Recordings\/RE/.test(path))
      return this.#recording(req, res, path, expected);
    const create = path.match(/^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/);
    const update = path.match(/^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/);
    if (req.method !== 'POST' || (!create && !update))
      return this.#error(res, 404, 20404, `The requested resource ${path} was not found`);
    if ((create ?? update)![1] !== this.accountSid || req.headers.authorization !== expected)
      return this.#error(res, 401, 20003, 'Authenticate');
    if (create) return this.#create(res, form, params.getAll('StatusCallbackEvent'));
    return this.#update(res, update![2], form);
  }

  #create(res: ServerResponse, form: Record<string, string>, events: string[]) {
    this.createdAt.push(performance.now());
    const script = this.scripts.shift() ?? {};
    if (script.error)
      return this.#error(res, script.error.status, script.error.code, script.error.message ?? 'scripted');
    if (!form.To || !/^\+[1-9]\d{6,14}$/.test(form.To))
      return this.#error(res, 400, 21211, `The 'To' number ${form.To ?? ''} is not a valid phone number.`);
    if (!form.From) return this.#error(res, 400, 21213, 'Caller phone number is required');
    if (!form.Twiml && !form.Url) return this.#error(res, 400, 21205, 'Url parameter is required.');
    const sid = `CA${randomBytes(16).toString('hex')}`;
    this.#scriptOf.set(sid, script);
    const stream = form.Twiml?.match(/<Connect><Stream url="([^"]+)">(.*?)<\/Stream><\/Connect>/s);
    const parameters: Record<string, string> = {};
    for (const m of stream?.[2].matchAll(/<Parameter name="([^"]*)" value="([^"]*)"\/>/g) ?? [])
      parameters[unescapeXml(m[1])] = unescapeXml(m[2]);
    const call: FakeCallRecord = {
      sid,
      form,
      statusCallbackEvents: events,
      streamUrl: stream ? unescapeXml(stream[1]) : undefined,
      parameters,
      status: 'queued',
      updates: [],
      framesReceived: 0,
      badFrames: 0,
      playedMs: 0,
      marksReceived: [],
      marksEchoed: [],
      clears: 0,
      clearAt: [],
      sayAt: [],
      callbacks: [],
      frameAt: [],
      markEchoAt: [],
    };
    this.calls.set(sid, call);
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        sid,
        account_sid: this.accountSid,
        to: form.To,
        from: form.From,
        status: 'queued',
        direction: 'outbound-api',
        uri: `/2010-04-01/Accounts/${this.accountSid}/Calls/${sid}.json`,
      }),
    );
    this.emit('change');
    setImmediate(() => void this.#run(call, script));
  }

  /**
   * A caller dials the number: POSTs the signed voice webhook to `voiceUrl` as Twilio does
   * (`CallStatus=ringing`, `Direction=inbound`), then runs the TwiML it answers (opening its
   * media stream). Returns the webhook's status and TwiML, and the call's sid.
   */
  async callIn(voiceUrl: string, from: string, to: string, script: CallScript = {}, signature?: string) {
    const sid = `CA${randomBytes(16).toString('hex')}`;
    const form = {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: sid,
      CallStatus: 'ringing',
      Direction: 'inbound',
      From: from,
      To: to,
      Caller: from,
      Called: to,
    };
    const res = await fetch(voiceUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature ?? this.sign(voiceUrl, form),
      },
      body: new URLSearchParams(form).toString(),
    });
    const twiml = await res.text();
    if (res.status === 200 && twiml.includes('<Connect>')) {
      const stream = twiml.match(/<Connect><Stream url="([^"]+)">(.*?)<\/Stream><\/Connect>/s);
      const parameters: Record<string, string> = {};
      for (const m of stream?.[2].matchAll(/<Parameter name="([^"]*)" value="([^"]*)"\/>/g) ?? [])
        parameters[unescapeXml(m[1])] = unescapeXml(m[2]);
      const call: FakeCallRecord = {
        sid,
        form: { ...form, Twiml: twiml },
        statusCallbackEvents: [],
        streamUrl: stream ? unescapeXml(stream[1]) : undefined,
        parameters,
        status: 'in-progress',
        updates: [],
        framesReceived: 0,
        badFrames: 0,
        playedMs: 0,
        marksReceived: [],
        marksEchoed: [],
        clears: 0,
        clearAt: [],
        sayAt: [],
        callbacks: [],
        frameAt: [],
        markEchoAt: [],
      };
      this.calls.set(sid, call);
      this.#handles.set(sid, { end: () => {} });
      if (call.streamUrl) this.#openStream(call, script);
      this.emit('change');
    }
    return { status: res.status, twiml, sid };
  }

  async #update(res: ServerResponse, sid: string, form: Record<string, string>) {
    const call = this.calls.get(sid);
    if (!call) return this.#error(res, 404, 20404, `The requested resource /Calls/${sid}.json was not found`);
    call.updates.push(form);
    this.emit('change');
    const ended = ['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(call.status);
    if (form.Twiml && ended) return this.#error(res, 400, 21220, 'Call is not in-progress. Cannot redirect.');
    const refused = form.Twiml ? this.#scriptOf.get(sid)?.redirectError : undefined;
    if (refused) return this.#error(res, refused.status, refused.code, refused.message ?? 'scripted');
    const hangup = !ended && (form.Status === 'completed' || form.Status === 'canceled');
    if ((hangup || form.Twiml) && this.#scriptOf.get(sid)?.callbackFirst) {
      await this.#end(call, form.Status ?? 'completed');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sid, status: call.status }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ sid, status: call.status }));
    if (ended) return;
    if (hangup) void this.#end(call, form.Status);
    else if (form.Twiml) {
      this.#closeStream(call); // the <Connect> ends when the call is redirected
      const room = conferenceOf(form.Twiml);
      if (room) void this.#enterRoom(call, room);
    }
  }

  #handles = new Map<string, { ws?: WebSocket; end: () => void | Promise<void> }>();
  #scriptOf = new Map<string, CallScript>();
  #seq = new Map<string, number>();

  async #callback(call: FakeCallRecord, status: string, extra: Record<string, string> = {}) {
    const url = call.form.StatusCallback;
    if (!url) return;
    const seq = this.#seq.get(call.sid) ?? 0;
    this.#seq.set(call.sid, seq + 1);
    const form: Record<string, string> = {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: call.sid,
      CallStatus: status,
      CallbackSource: 'call-progress-events',
      Direction: 'outbound-api',
      From: call.form.From,
      To: call.form.To,
      SequenceNumber: String(seq),
      Timestamp: new Date().toUTCString(),
      ...extra,
    };
    return form;
  }

  async post(call: FakeCallRecord, url: string, form: Record<string, string>, signature?: string) {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature ?? this.sign(url, form),
      },
      body: new URLSearchParams(form).toString(),
    }).catch(() => undefined);
    call.callbacks.push({ form, status: res?.status ?? 0 });
    await res?.text().catch(() => '');
    this.emit('change');
    return res?.status ?? 0;
  }

  async #postProgress(
    call: FakeCallRecord,
    forms: Record<string, string>[],
    order: CallScript['callbackOrder'],
  ) {
    const list =
      order === 'reversed' ? [...forms].reverse() : order === 'duplicated' ? [...forms, ...forms] : forms;
    for (const form of list) await this.post(call, call.form.StatusCallback, form);
  }

  async #run(call: FakeCallRecord, script: CallScript) {
    const outcome = script.outcome ?? 'answer';
    const progress: Record<string, string>[] = [];
    for (const s of ['initiated', 'ringing']) {
      call.status = s;
      progress.push((await this.#callback(call, s))!);
    }
    if (script.ringMs) {
      await this.#postProgress(call, progress.splice(0), script.callbackOrder);
      await new Promise((r) => setTimeout(r, script.ringMs));
      if (call.status !== 'ringing') return; // hung up (canceled) while ringing
    }
    if (outcome !== 'answer') {
      call.status = outcome;
      const sip: Record<string, string> = script.sipResponseCode
        ? { SipResponseCode: script.sipResponseCode }
        : {};
      progress.push((await this.#callback(call, outcome, { CallDuration: '0', ...sip }))!);
      await this.#postProgress(call, progress, script.callbackOrder);
      return;
    }
    call.status = 'in-progress';
    progress.push((await this.#callback(call, 'in-progress'))!);
    if (script.callbackOrder !== 'reversed') await this.#postProgress(call, progress, script.callbackOrder);
    const answeredAt = Date.now();
    this.#handles.set(call.sid, {
      end: () => {},
    });
    const finish = async () => {
      const completed = (await this.#callback(call, 'completed', {
        CallDuration: String(Math.max(1, Math.round((Date.now() - answeredAt) / 1000))),
      }))!;
      if (script.callbackOrder === 'reversed')
        await this.#postProgress(call, [...progress, completed], 'reversed');
      else await this.#postProgress(call, [completed], script.callbackOrder);
      if (call.form.Record === 'true' && call.form.RecordingStatusCallback) {
        const rec = `RE${randomBytes(16).toString('hex')}`;
        // A RIFF header and random audio bytes: what is served must arrive unchanged.
        this.recordings.set(rec, {
          wav: Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt '), randomBytes(48_000)]),
          mp3: Buffer.concat([Buffer.from('ID3'), randomBytes(12_000)]),
        });
        const recording = {
          AccountSid: this.accountSid,
          CallSid: call.sid,
          RecordingSid: rec,
          RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${this.accountSid}/Recordings/${rec}`,
          RecordingStatus: 'completed',
          RecordingDuration: '1',
          RecordingChannels: '2',
        };
        await this.post(call, call.form.RecordingStatusCallback, recording);
      }
    };
    this.#handles.get(call.sid)!.end = () => finish();
    if (script.answeredBy && call.form.AsyncAmdStatusCallback) {
      const amd = {
        AccountSid: this.accountSid,
        CallSid: call.sid,
        AnsweredBy: script.answeredBy,
        MachineDetectionDuration: '2300',
      };
      if (!script.amdAfterMarks) void this.post(call, call.form.AsyncAmdStatusCallback, amd);
      else
        void this.waitFor((c) => c === call && c.marksReceived.length >= script.amdAfterMarks!).then(() =>
          this.post(call, call.form.AsyncAmdStatusCallback, amd),
        );
    }
    if (call.streamUrl) this.#openStream(call, script);
    else {
      // `<Say>` (sayMsPerWord a word) then `<Dial><Conference>`: a warm transfer's leg.
      const room = conferenceOf(call.form.Twiml ?? '');
      const said = call.form.Twiml?.match(/<Say>([\s\S]*?)<\/Say>/)?.[1] ?? '';
      if (room) {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          if (call.status !== 'in-progress') return;
          if (script.declineAfterSay) void this.#end(call, 'completed');
          else void this.#enterRoom(call, room);
        }, this.sayMsPerWord * said.split(/\s+/).length);
        this.#timers.add(t);
      }
    }
  }

  /**
   * A call enters a room: the conference's `statusCallback` (set by the TwiML that made it) gets
   * `participant-join` with the documented parameters, when its `statusCallbackEvent` has `join`.
   */
  async #enterRoom(call: FakeCallRecord, room: ReturnType<typeof conferenceOf> & {}) {
    let conf = this.conferences.get(room.name);
    if (!conf) {
      conf = {
        sid: `CF${randomBytes(16).toString('hex')}`,
        name: room.name,
        statusCallback: room.statusCallback,
        statusCallbackEvents: room.events,
        participants: [],
      };
      this.conferences.set(room.name, conf);
    }
    conf.participants.push(call.sid);
    this.emit('change');
    if (!conf.statusCallback || !conf.statusCallbackEvents.includes('join')) return;
    await this.post(call, conf.statusCallback, {
      AccountSid: this.accountSid,
      ConferenceSid: conf.sid,
      FriendlyName: conf.name,
      StatusCallbackEvent: 'participant-join',
      CallSid: call.sid,
      Muted: 'false',
      Hold: 'false',
      Coaching: 'false',
      EndConferenceOnExit: 'true',
      StartConferenceOnEnter: 'true',
      SequenceNumber: String(conf.participants.length),
      Timestamp: new Date().toUTCString(),
    });
  }

  async #end(call: FakeCallRecord, status: string) {
    if (['completed', 'canceled'].includes(call.status)) return;
    this.#closeStream(call);
    call.status = status;
    this.emit('change');
    await this.#handles.get(call.sid)?.end();
  }

  #closeStream(call: FakeCallRecord) {
    const h = this.#handles.get(call.sid);
    const ws = h?.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(
      JSON.stringify({
        event: 'stop',
        sequenceNumber: '0',
        streamSid: `MZ${call.sid.slice(2)}`,
        stop: { accountSid: this.accountSid, callSid: call.sid },
      }),
    );
    ws.close(1000);
  }

  #openStream(call: FakeCallRecord, script: CallScript) {
    const url = call.streamUrl!;
    const headers: Record<string, string> = {};
    const sig = script.streamSignature ?? 'valid';
    if (sig === 'valid') headers['x-twilio-signature'] = this.sign(url);
    if (sig === 'forged') headers['x-twilio-signature'] = this.sign(url, { forged: '1' });
    const ws = new WebSocket(url, { headers });
    this.#sockets.add(ws);
    this.#handles.get(call.sid)!.ws = ws;
    const streamSid = `MZ${call.sid.slice(2)}`;
    let seq = 0;
    const send = (m: object) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
    const playback: Played[] = [];
    let inbound: Uint8Array[] = [];
    let chunk = 0;
    let openedAt = 0;
    let stepIndex = 0;
    let stepBusyUntil = 0;
    const steps = script.steps ?? [];
    ws.on('unexpected-response', (_req, res) => {
      call.streamClose = { code: res.statusCode ?? 0, reason: 'upgrade refused' };
      this.emit('change');
      void this.#end(call, 'completed');
    });
    ws.on('error', () => {});
    ws.on('open', () => {
      openedAt = performance.now();
      send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
      send({
        event: 'start',
        sequenceNumber: String(++seq),
        start: {
          accountSid: this.accountSid,
          streamSid,
          callSid: call.sid,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: script.streamParameters ?? call.parameters,
        },
        streamSid,
      });
      const timer = setInterval(tick, 20);
      this.#timers.add(timer);
      ws.on('close', () => {
        clearInterval(timer);
        this.#timers.delete(timer);
      });
    });
    ws.on('message', (data) => {
      let msg: any;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (msg.event === 'media') {
        const bytes = Buffer.from(String(msg.media?.payload ?? ''), 'base64');
        call.frameAt.push(performance.now() - openedAt);
        if (bytes.length === 160 && msg.streamSid === streamSid) call.framesReceived++;
        else call.badFrames++;
        playback.push({ kind: 'frame' });
      } else if (msg.event === 'mark') {
        call.marksReceived.push(msg.mark?.name);
        playback.push({ kind: 'mark', name: msg.mark?.name });
        echoMarks();
      } else if (msg.event === 'clear') {
        call.clears++;
        call.clearAt.push(performance.now() - openedAt);
        for (const item of playback.splice(0)) if (item.kind === 'mark') echo(item.name);
      }
      this.emit('change');
    });
    ws.on('close', (code, reason) => {
      call.streamClose ??= { code, reason: reason.toString() };
      this.emit('change');
      // A stream Parley closes ends the call, as a <Connect> with nothing after it does.
      setImmediate(() => void this.#end(call, 'completed'));
    });
    const echo = (name: string) => {
      call.marksEchoed.push(name);
      call.markEchoAt.push(performance.now() - openedAt);
      send({ event: 'mark', sequenceNumber: String(++seq), streamSid, mark: { name } });
    };
    const echoMarks = () => {
      while (playback[0]?.kind === 'mark') echo((playback.shift() as { name: string }).name);
    };
    // Real time follows the clock, not the timer's count: a late timer catches up with several frames.
    let framesDone = 0;
    const tick = () => {
      const target = Math.floor((performance.now() - openedAt) / 20);
      while (framesDone < target && ws.readyState === WebSocket.OPEN && call.status === 'in-progress') {
        framesDone++;
        frameTick();
      }
      this.emit('change');
    };
    const frameTick = () => {
      // Play one 20 ms frame of what Parley sent.
      if (playback[0]?.kind === 'frame') {
        playback.shift();
        call.playedMs += 20;
      }
      echoMarks();
      // Run the callee's script.
      const now = performance.now();
      while (stepIndex < steps.length && inbound.length === 0 && now >= stepBusyUntil) {
        const step = steps[stepIndex];
        if ('waitForAgentAudioMs' in step && call.playedMs < step.waitForAgentAudioMs) break;
        if ('waitForMarks' in step && call.marksReceived.length < step.waitForMarks) break;
        if ('until' in step && !step.until()) break;
        stepIndex++;
        if ('say' in step) {
          call.sayAt.push(now - openedAt);
          const audio = speechLikeMulaw(step.say, stepIndex);
          inbound = Array.from({ length: Math.ceil(audio.length / 160) }, (_, i) =>
            audio.subarray(i * 160, i * 160 + 160),
          );
        } else if ('dtmf' in step) {
          send({
            event: 'dtmf',
            streamSid,
            sequenceNumber: String(++seq),
            dtmf: { track: 'inbound_track', digit: step.dtmf },
          });
        } else if ('pause' in step) stepBusyUntil = now + step.pause;
        else if ('hangup' in step) {
          void this.#end(call, 'completed');
          return;
        }
      }
      // Send the caller's next 20 ms: speech when speaking, line silence otherwise.
      const frame = inbound.shift() ?? mulawSilence(20);
      const padded =
        frame.length === 160 ? frame : Uint8Array.from({ length: 160 }, (_, i) => frame[i] ?? 0xff);
      chunk++;
      const message = {
        event: 'media',
        sequenceNumber: String(++seq),
        media: {
          track: 'inbound',
          chunk: String(chunk),
          timestamp: String(chunk * 20),
          payload: Buffer.from(padded).toString('base64'),
        },
        streamSid,
      };
      const faults = script.mediaFaults ?? {};
      if (chunk === faults.lose) return;
      if (chunk === faults.swap) {
        held = message;
        return;
      }
      send(message);
      if (chunk === faults.repeat) send(message);
      if (held && chunk === faults.swap! + 1) {
        send(held);
        held = undefined;
      }
    };
    let held: object | undefined;
  }
}

/** The room `<Dial><Conference>` in a TwiML document names, with its status callback settings. */
function conferenceOf(twiml: string) {
  const m = twiml.match(/<Dial[^>]*><Conference([^>]*)>([^<]+)<\/Conference><\/Dial>/);
  if (!m) return null;
  const attr = (name: string) => m[1].match(new RegExp(`\\b${name}="([^"]*)"`))?.[1];
  const cb = attr('statusCallback');
  return {
    name: unescapeXml(m[2]),
    statusCallback: cb ? unescapeXml(cb) : undefined,
    events: (attr('statusCallbackEvent') ?? '').split(/\s+/).filter(Boolean),
  };
}

function unescapeXml(s: string) {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
