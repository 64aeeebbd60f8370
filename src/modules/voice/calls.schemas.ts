import { z } from 'zod';
import {
  baseObject,
  describe,
  idOf,
  nullableTimestamp,
  stringMap,
  timestamp,
} from '../../platform/http/schemas.ts';
import { analysisObject } from '../conversations/index.ts';
import { toolCallObject } from '../tools/index.ts';
import { endedReasons } from './calls.service.ts';
import { callStatuses } from './voice.tables.ts';

const sandboxLine = z.union([
  describe(
    z.string().min(1).max(1000),
    'A line the callee says, in its turn.',
    'Hi, I want to book a haircut.',
  ),
  z.strictObject({
    text: describe(z.string().min(1).max(1000), 'What the callee says.', 'Actually, wait'),
    after_ms: describe(
      z.number().int().min(0).max(60_000),
      'How long the callee waits before saying it: after the agent stops (or, for barge_in, after the agent starts) talking.',
      300,
    ).optional(),
    barge_in: describe(z.boolean(), 'Said while the agent is talking (cuts in).', true).optional(),
  }),
  z.strictObject({
    dtmf: describe(
      z.string().regex(/^[0-9*#]{1,20}$/, 'must be digits, * or #'),
      'Keys the callee presses.',
      '1',
    ),
  }),
]);

export const sandboxScriptSchema = describe(
  z.strictObject({
    outcome: describe(
      z.enum(['answer', 'busy', 'no_answer', 'voicemail', 'invalid', 'call_screener']),
      "What the simulated callee does (default: `answer` when `lines` are given, else from the number's last digit: 1 busy, 2 no answer, 3 voicemail, 4 invalid, else answer). `call_screener`: a screening assistant answers, asks who is calling, then hands over to the person who says `lines` (an empty `lines`: the person never comes).",
      'answer',
    ).optional(),
    lines: describe(
      z.array(sandboxLine).max(50),
      'What the callee says, one line per turn (default: a short greeting), then silence.',
      ['Hi, what time do you open tomorrow?', { text: 'haan', barge_in: true }, { dtmf: '1' }],
    ).optional(),
    hangup_after_lines: describe(
      z.boolean(),
      'The callee hangs up once the agent has answered its last line.',
      false,
    ).optional(),
    transfer_answer: describe(
      z.enum(['answer', 'no_answer', 'decline']),
      "What the person a warm transfer dials does (default: from that number's last digit: 1 busy, 2 no answer, 4 invalid, else answers).",
      'answer',
    ).optional(),
  }),
  'Test mode only: the simulated callee (SPEC section 6).',
);

export const callItem = z.strictObject({
  agent_id: idOf('agt', 'The agent that talks on the call.').optional(),
  voice_flow_id: idOf('vf', 'A voice flow to run instead of an agent.').optional(),
  to: describe(
    z.string().min(3).max(32),
    "The number to call (E.164, or national for the workspace's default country). Omit for a web call.",
    '+14155550100',
  ).optional(),
  from: describe(
    z.string().min(3).max(32),
    'Call from this voice channel number.',
    '+14155550999',
  ).optional(),
  channel_id: idOf('ch', 'Call through this voice channel.').optional(),
  transport: describe(
    z.enum(['phone', 'web']),
    "`phone` dials `to` through the channel's carrier (the sandbox callee in test mode); `web` waits for a client to join over the media WebSocket. Default: phone when `to` is given, else web.",
    'phone',
  ).optional(),
  dynamic_variables: stringMap(
    "Values for {{placeholders}} in the agent's greeting and instructions.",
  ).optional(),
  ignore_dnd: describe(
    z.boolean(),
    'Call a contact on do-not-disturb (transactional or service calls); never one who opted out.',
    false,
  ).optional(),
  identifier: describe(
    z.string().min(1).max(200),
    'Your own reference, filterable.',
    'crm-lead-4412',
  ).optional(),
  sandbox: sandboxScriptSchema.optional(),
});

export const createCallsBody = z.strictObject({
  calls: describe(z.array(callItem).min(1).max(100), 'Up to 100 calls to place.', [
    { agent_id: 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D', to: '+14155550100', dynamic_variables: { name: 'Asha' } },
  ]),
});

const transcriptEntry = z.object({
  role: describe(z.enum(['customer', 'agent']), 'Who spoke.', 'agent'),
  text: describe(
    z.string(),
    'What was said (for an interrupted agent turn: what the caller heard).',
    'Hello!',
  ),
  start_ms: describe(z.number().int(), 'Start, in ms from when the call was answered.', 0),
  end_ms: describe(z.number().int(), 'End, in ms from when the call was answered.', 1200),
  interrupted: describe(z.boolean(), 'The caller cut this agent turn off.', false),
});

export const callObject = z.object({
  ...baseObject('call', 'call'),
  conversation_id: describe(
    z.string().nullable(),
    'The voice conversation of the call.',
    'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  contact_id: describe(z.string().nullable(), 'The person called.', 'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  agent_id: describe(z.string().nullable(), 'The agent talking.', 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  voice_flow_id: describe(z.string().nullable(), 'The voice flow run instead of an agent.', null),
  campaign_id: describe(z.string().nullable(), 'The campaign that placed it.', null),
  direction: describe(z.enum(['inbound', 'outbound']), 'Who called whom.', 'outbound'),
  transport: describe(
    z.enum(['phone', 'web']),
    'Phone (through a carrier) or web (media WebSocket).',
    'phone',
  ),
  channel_id: describe(z.string().nullable(), 'The voice channel.', 'ch_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  provider: describe(z.string(), 'Who carries it: sandbox, parley (web), twilio, livekit.', 'sandbox'),
  provider_call_id: describe(z.string().nullable(), "The carrier's id of the call.", 'CA1234'),
  from: describe(z.string().nullable(), 'Calling number.', '+15550100003'),
  to: describe(z.string().nullable(), 'Called number (null for a web call).', '+14155550100'),
  status: describe(z.enum(callStatuses), 'Moves only forward.', 'completed'),
  answered_by: describe(
    z.string().nullable(),
    'human, machine, call_screener (a call-screening assistant answered; the person may have come on after), unknown, or null before an answer.',
    'human',
  ),
  ended_reason: describe(
    z.enum(endedReasons).nullable(),
    'Why it ended (docs/voice.md).',
    'agent_ended_call',
  ),
  duration_seconds: describe(z.number().int().nullable(), 'Seconds from answer to end.', 42),
  queued_at: timestamp('When it was created'),
  dialed_at: nullableTimestamp('When the carrier started dialing'),
  answered_at: nullableTimestamp('When it was answered'),
  ended_at: nullableTimestamp('When it ended'),
  transcript: describe(z.array(transcriptEntry), 'Turns in order.'),
  recording_url: describe(z.string().nullable(), 'Where the recording is, when one is kept.', null),
  dynamic_variables: stringMap('The variables the call was placed with.'),
  identifier: describe(z.string().nullable(), 'Your own reference.', 'crm-lead-4412'),
  latency: describe(
    z.object({
      turns: describe(z.number().int(), 'Agent turns measured.', 3),
      p50_ms: describe(z.number().nullable(), 'Median end-of-speech to first agent audio.', 640),
      p95_ms: describe(z.number().nullable(), '95th percentile of the same.', 910),
      parley_p50_ms: describe(
        z.number().nullable(),
        "Median of Parley's own share: the caller's committed turn to the first audio frame out.",
        12,
      ),
      interruptions: describe(
        z.number().int(),
        'Times the caller cut the agent off with words (its turn was cut to what they heard).',
        1,
      ),
      false_interruptions: describe(
        z.number().int(),
        'Times the agent paused for a sound or a filler, then resumed the sentence it was in.',
        0,
      ),
      backchannels: describe(
        z.number().int(),
        'Fillers said over the agent ("hmm", "haan") that never stopped it.',
        2,
      ),
      recoveries: describe(
        z.number().int(),
        "Interruptions after which the agent answered the caller's new turn.",
        1,
      ),
    }),
    'Per-call turn latency and turn-taking counts.',
  ),
  analysis: describe(analysisObject, 'What came of the call (null until it ended and was analysed).'),
  error: describe(
    z
      .object({
        code: describe(z.string(), 'What failed, as a code (an ended_reason).', 'invalid_number'),
        message: describe(z.string(), 'What failed, in a sentence.', 'The number does not exist.'),
      })
      .nullable(),
    'What failed, for failed calls.',
    null,
  ),
  tool_calls: describe(
    z.array(toolCallObject),
    '`GET /v1/calls/{id}` only: the workspace tools the agent called during the call, oldest first (secrets masked).',
  ).optional(),
});

export const mediaSessionObject = describe(
  z.object({
    provider: describe(z.enum(['parley', 'livekit']), 'Whose media session.', 'parley'),
    room: describe(z.string(), 'The room (for Parley: the call id).', 'call_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
    token: describe(z.string(), 'Join token (15 minutes).', 'eyJhbGciOi...'),
    url: describe(
      z.string(),
      "Where to join: Parley's media WebSocket (16 kHz PCM binary frames and JSON events) or the LiveKit URL.",
      'ws://localhost:3000/v1/calls/call_01JD5Z8Q4X3N2M1K0H9G8F7E6D/media?token=eyJhbGciOi...',
    ),
    identity: describe(z.string(), 'Participant identity of the token.', 'api-client'),
    expires_at: timestamp('When the token expires'),
  }),
  'How to listen in or talk on the call.',
);

const itemError = z.object({
  index: describe(z.number().int(), 'Position in the request.', 1),
  code: describe(z.string(), 'Error code.', 'concurrency_limited'),
  message: describe(
    z.string(),
    'What went wrong.',
    "The workspace's limit of 20 concurrent calls is reached.",
  ),
  errors: describe(
    z.array(
      z.object({
        field: describe(z.string(), 'The invalid field.', 'to'),
        message: describe(z.string(), 'What is wrong with it.', 'must be a valid phone number'),
      }),
    ),
    'Invalid fields.',
  ).optional(),
});

const webCallSpeechObject = describe(
  z.object({
    stt: describe(z.string(), 'The speech-to-text engine the call will use.', 'builtin'),
    tts: describe(z.string(), 'The text-to-speech engine the call will use.', 'builtin'),
    hears_audio: describe(
      z.boolean(),
      'The caller\'s audio is transcribed; when false only `{"type": "text"}` turns are heard (audio is never answered as a turn).',
      true,
    ),
    speaks_audio: describe(
      z.boolean(),
      "The agent's turns come as audio frames; when false as `agent_text` events only.",
      true,
    ),
    warnings: describe(
      z.array(z.string()),
      'What will not work on this server, and how to make it work.',
      [],
    ),
  }),
  'A web call only: what its caller can expect from the speech engines this server has.',
);

export const createCallsResponse = z.object({
  results: describe(
    z.array(
      z.object({
        index: describe(z.number().int(), 'Position in the request.', 0),
        call: describe(callObject, 'The call.'),
        media_session: mediaSessionObject,
        speech: webCallSpeechObject.optional(),
      }),
    ),
    'The calls placed.',
  ),
  errors: describe(z.array(itemError), 'The items not placed.'),
});

export const listCallsQuery = {
  status: describe(z.enum(callStatuses), 'Only in this status.', 'in_progress').optional(),
  agent_id: idOf('agt', 'Only with this agent.').optional(),
  contact_id: idOf('ct', 'Only to this contact.').optional(),
  campaign_id: idOf('cmp', 'Only of this campaign.').optional(),
  identifier: describe(z.string().min(1).max(200), 'Only with this identifier.', 'crm-lead-4412').optional(),
  direction: describe(z.enum(['inbound', 'outbound']), 'Only this direction.', 'outbound').optional(),
};

export { sandboxLine };
