import { createRequire } from 'node:module';

/**
 * What Twilio's voice callbacks mean for a call: the `CallStatus` of a progress callback, the
 * `AnsweredBy` of an async AMD verdict, the `RecordingUrl` of a recording callback
 * (https://www.twilio.com/docs/voice/api/call-resource#statuscallback,
 * https://www.twilio.com/docs/voice/answering-machine-detection).
 */

export type CallStatus =
  | 'queued'
  | 'dialing'
  | 'ringing'
  | 'in_progress'
  | 'completed'
  | 'busy'
  | 'no_answer'
  | 'failed'
  | 'canceled'
  | 'voicemail';

const TWILIO_STATUS: Record<string, CallStatus> = {
  queued: 'dialing',
  initiated: 'dialing',
  ringing: 'ringing',
  'in-progress': 'in_progress',
  answered: 'in_progress',
  completed: 'completed',
  busy: 'busy',
  'no-answer': 'no_answer',
  failed: 'failed',
  canceled: 'canceled',
};

export function mapTwilioCallStatus(raw: string | undefined): CallStatus | undefined {
  return raw ? TWILIO_STATUS[raw.toLowerCase()] : undefined;
}

const RANK: Record<CallStatus, number> = {
  queued: 0,
  dialing: 1,
  ringing: 2,
  in_progress: 3,
  voicemail: 4,
  completed: 5,
  busy: 5,
  no_answer: 5,
  failed: 5,
  canceled: 5,
};

export const TERMINAL_STATUSES: readonly CallStatus[] = [
  'completed',
  'busy',
  'no_answer',
  'failed',
  'canceled',
];

/** Status only moves forward: a late `ringing` after `in_progress` changes nothing; an ended call stays ended. */
export function isForward(current: CallStatus, next: CallStatus): boolean {
  if (TERMINAL_STATUSES.includes(current)) return false;
  return RANK[next] > RANK[current];
}

export type AnsweredBy = 'human' | 'machine' | 'unknown';

/** `machine_start`, `machine_end_beep|silence|other` and `fax` are machines; `human`; anything else unknown. */
export function mapAnsweredBy(raw: string | undefined): AnsweredBy | undefined {
  if (!raw) return undefined;
  const v = raw.toLowerCase();
  if (v === 'human') return 'human';
  if (v.startsWith('machine_') || v === 'fax') return 'machine';
  return 'unknown';
}

/** For a machine: has its greeting ended (the beep or the silence after it), so a message can be left now? */
export function machineGreetingEnded(raw: string | undefined): boolean {
  return raw === 'machine_end_beep' || raw === 'machine_end_silence' || raw === 'machine_end_other';
}

/** One voice callback, decoded from its form fields. */
export type TwilioVoiceCallback =
  | {
      kind: 'status';
      callSid: string;
      status: CallStatus;
      rawStatus: string;
      /** Twilio's per-call `SequenceNumber` of progress callbacks (0, 1, 2...); absent on old accounts. */
      sequence: number | undefined;
      durationSeconds: number | undefined;
      sipResponseCode: string | undefined;
      errorCode: string | undefined;
    }
  | { kind: 'amd'; callSid: string; answeredBy: AnsweredBy; rawAnsweredBy: string; greetingEnded: boolean }
  | { kind: 'recording'; callSid: string; recordingUrl: string; recordingSid: string | undefined }
  | { kind: 'ignored'; callSid: string | undefined; why: string };

export function parseVoiceCallback(form: Record<string, string>): TwilioVoiceCallback {
  const callSid = form.CallSid;
  if (!callSid) return { kind: 'ignored', callSid: undefined, why: 'no CallSid' };
  if (form.RecordingUrl && (form.RecordingStatus ?? 'completed') === 'completed' && !form.CallStatus)
    return { kind: 'recording', callSid, recordingUrl: form.RecordingUrl, recordingSid: form.RecordingSid };
  if (form.AnsweredBy && !form.CallbackSource) {
    const answeredBy = mapAnsweredBy(form.AnsweredBy)!;
    return {
      kind: 'amd',
      callSid,
      answeredBy,
      rawAnsweredBy: form.AnsweredBy,
      greetingEnded: machineGreetingEnded(form.AnsweredBy),
    };
  }
  const status = mapTwilioCallStatus(form.CallStatus);
  if (!status) return { kind: 'ignored', callSid, why: `unknown CallStatus ${form.CallStatus ?? '(none)'}` };
  const seq = form.SequenceNumber === undefined ? undefined : Number(form.SequenceNumber);
  const duration = form.CallDuration === undefined ? undefined : Number(form.CallDuration);
  return {
    kind: 'status',
    callSid,
    status,
    rawStatus: form.CallStatus!,
    sequence: Number.isInteger(seq) ? seq : undefined,
    durationSeconds: Number.isFinite(duration) ? duration : undefined,
    sipResponseCode: form.SipResponseCode,
    errorCode: form.ErrorCode,
  };
}

/** The call's `ended_reason` when Twilio ends it (a hangup by Parley is recorded before this arrives). */
export function endedReasonOf(status: CallStatus, form: { SipResponseCode?: string; ErrorCode?: string }) {
  switch (status) {
    case 'busy':
      return 'busy';
    case 'no_answer':
      return 'no_answer';
    case 'canceled':
      return 'canceled';
    case 'failed':
      // SIP 404/484/604 and Twilio's invalid-number codes: the number does not exist.
      if (['404', '484', '604'].includes(form.SipResponseCode ?? '') || form.ErrorCode === '13224')
        return 'invalid_number';
      return 'failed_to_connect';
    case 'completed':
      return 'customer_ended_call';
    default:
      return undefined;
  }
}

type TwilioLib = typeof import('twilio');
let loaded: TwilioLib | undefined;
/** The `twilio` package is large; loaded the first time a signature is checked (a read-only cache). */
function twilioLib(): TwilioLib {
  loaded ??= createRequire(import.meta.url)('twilio') as TwilioLib;
  return loaded;
}

/**
 * `X-Twilio-Signature`: base64 HMAC-SHA1 of the URL plus the sorted form fields, keyed by the auth
 * token. For the Media Streams WebSocket upgrade the URL is the `wss://` URL Parley wrote into the
 * TwiML and there are no fields.
 */
export function verifyTwilioSignature(
  authToken: string | undefined,
  signature: string | string[] | undefined,
  url: string,
  params: Record<string, string> = {},
): boolean {
  const sig = Array.isArray(signature) ? signature[0] : signature;
  if (!authToken || !sig) return false;
  return twilioLib().validateRequest(authToken, sig, url, params);
}

export function twilioSignature(authToken: string, url: string, params: Record<string, string> = {}): string {
  return twilioLib().getExpectedTwilioSignature(authToken, url, params);
}
