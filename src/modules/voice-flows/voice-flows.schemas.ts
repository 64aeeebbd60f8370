import { z } from 'zod';
import { baseObject, describe, idOf, listQuery } from '../../platform/http/schemas.ts';
import { ianaTimezone } from '../../platform/timezone.ts';
import { captureKinds } from './capture.ts';

/** The closed set of node types a voice flow is made of. */
export const nodeTypes = ['say', 'ask', 'branch', 'set', 'action', 'agent', 'transfer', 'end'] as const;
export const flowActions = ['capture_lead', 'book', 'tag', 'webhook', 'send_message'] as const;
/** Events that can move an agent node on (`on_event`). */
export const agentEvents = ['lead.captured', 'booking.created', 'conversation.escalated'] as const;

const nodeId = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'node ids are letters, digits, _ and - (starting with a letter)');
const varName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'variable names are letters, digits and _');
const target = (what: string) => describe(nodeId, `The node to go to ${what}.`, 'confirm');
const text = (description: string, example: string) =>
  describe(z.string().min(1).max(2000), description, example);
const scalar = z.union([z.string().max(2000), z.number(), z.boolean()]);

const sayNode = z.strictObject({
  type: describe(z.literal('say'), 'Speaks a sentence.', 'say'),
  text: text('What to say; `{{variables}}` are filled in.', 'Namaste {{name}}, this is Glow Salon.'),
  interruptible: describe(
    z.boolean(),
    'False for words the caller must hear in full (a legal notice): barge-in is ignored while they play. Default true.',
    false,
  ).optional(),
  next: target('after speaking'),
});

const choiceSchema = z.strictObject({
  value: describe(z.string().min(1).max(100), 'The value captured when this choice is said.', 'haircut'),
  synonyms: describe(
    z.array(z.string().min(1).max(100)).max(50),
    'Other words or phrases that mean this choice (English, Hinglish...).',
    ['hair cut', 'baal katwana'],
  ).optional(),
});

const captureSchema = describe(
  z
    .strictObject({
      var: describe(varName, 'The variable that receives the captured value.', 'answer'),
      kind: describe(z.enum(captureKinds), 'What kind of answer to listen for.', 'yes_no'),
      choices: describe(
        z.array(choiceSchema).min(1).max(50),
        'The choices (kind `choice`, required) or intents (kind `intent`; without them the built-in intents are used: human, cancel, book, price, hours, address, thanks, greeting, yes, no).',
        [{ value: 'haircut', synonyms: ['hair cut'] }],
      ).optional(),
      min_length: describe(
        z.number().int().min(1).max(50),
        'Fewest digits accepted (kind `digits`).',
        4,
      ).optional(),
      max_length: describe(
        z.number().int().min(1).max(50),
        'Most digits accepted (kind `digits`).',
        6,
      ).optional(),
      map_to: describe(
        z
          .string()
          .regex(
            /^(contact\.(name|email|attributes\.[A-Za-z0-9_-]{1,64})|lead\.(name|email|phone|intent|fields\.[A-Za-z0-9_-]{1,64}))$/,
            'must be contact.name, contact.email, contact.attributes.<key>, lead.name, lead.email, lead.phone, lead.intent or lead.fields.<key>',
          ),
        "On a real call, also store the captured value in the contact or the call's lead.",
        'contact.attributes.preferred_slot',
      ).optional(),
    })
    .refine((c) => c.kind !== 'choice' || (c.choices?.length ?? 0) > 0, {
      message: 'a choice capture needs its choices',
      path: ['choices'],
    })
    .refine((c) => c.min_length === undefined || c.max_length === undefined || c.min_length <= c.max_length, {
      message: 'must not be less than min_length',
      path: ['max_length'],
    }),
  'What the answer is stored as, and how it is recognised.',
  { var: 'answer', kind: 'yes_no' },
);

const askNode = z.strictObject({
  type: describe(z.literal('ask'), 'Asks a question and captures the answer.', 'ask'),
  prompt: text(
    'The question; `{{variables}}` are filled in.',
    'Can you come tomorrow at 5? Say yes or no, or press 1 or 2.',
  ),
  capture: captureSchema,
  dtmf: describe(
    z.record(
      z.string().regex(/^[0-9*#]$/, 'keys are single keypad keys: 0-9, * or #'),
      z.string().min(1).max(100),
    ),
    'Keypad keys and the value each captures.',
    { '1': 'yes', '2': 'no' },
  ).optional(),
  timeout_seconds: describe(
    z.number().int().min(1).max(60),
    'Seconds of silence before the caller counts as not answering (default 6).',
    6,
  ).optional(),
  retries: describe(
    z.number().int().min(0).max(5),
    'How many times the question is asked again after no answer or no match (default 1).',
    2,
  ).optional(),
  no_match_prompt: text(
    'Said before asking again after an answer that did not fit.',
    "Sorry, I didn't get that.",
  ).optional(),
  on_no_input: target(
    'when the caller still says nothing after the retries (default: end the call, outcome `no_response`)',
  ).optional(),
  on_no_match: target(
    'when the answer still does not fit after the retries (default: as on no input)',
  ).optional(),
  next: target('with the captured value'),
});

const condition = z
  .strictObject({
    var: describe(varName, 'The variable tested.', 'answer'),
    eq: describe(scalar, 'Equal to (text compares case-insensitively).', 'no').optional(),
    in: describe(z.array(scalar).min(1).max(100), 'One of these values.', ['no', 'later']).optional(),
    gt: describe(z.number(), 'A number greater than this.', 3).optional(),
    lt: describe(z.number(), 'A number less than this.', 10).optional(),
    exists: describe(z.boolean(), 'True: the variable has a value; false: it has none.', true).optional(),
  })
  .refine((w) => ['eq', 'in', 'gt', 'lt', 'exists'].filter((k) => k in w).length === 1, {
    message: 'give exactly one test: eq, in, gt, lt or exists',
  });

const branchNode = z.strictObject({
  type: describe(z.literal('branch'), 'Goes to the first case whose condition holds.', 'branch'),
  cases: describe(
    z
      .array(
        z.strictObject({
          when: describe(condition, 'The condition.', { var: 'answer', eq: 'no' }),
          next: target('when it holds'),
        }),
      )
      .min(1)
      .max(50),
    'The cases, tested in order.',
    [{ when: { var: 'answer', eq: 'no' }, next: 'resched' }],
  ),
  else: target('when no case holds'),
});

const setNode = z.strictObject({
  type: describe(z.literal('set'), 'Sets variables.', 'set'),
  values: describe(
    z.record(varName, scalar),
    'Variables and their values (text values may hold `{{variables}}`).',
    { stage: 'confirmed' },
  ),
  next: target('after setting them'),
});

const actionNode = z.strictObject({
  type: describe(z.literal('action'), 'Does something in Parley or outside it.', 'action'),
  action: describe(
    z.enum(flowActions),
    'capture_lead (a lead with `fields`), book (`start_at`, `service_id`), tag (the contact, `tags`), webhook (a signed POST to `url`), send_message (`text` or `template` to the caller).',
    'capture_lead',
  ),
  fields: describe(
    z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), z.string().max(2000)),
    "capture_lead: the lead's fields (`name`, `email`, `phone`, `intent` and custom ones), with `{{variables}}`.",
    { name: '{{name}}', intent: 'haircut', preferred_slot: '{{slot}}' },
  ).optional(),
  agent_id: idOf(
    'agt',
    "book: the agent whose services and calendar are used (default: the call's agent).",
  ).optional(),
  service_id: idOf('svc', 'book: the service booked.').optional(),
  start_at: describe(
    z.string().min(1).max(200),
    'book: when, usually a captured datetime variable.',
    '{{slot}}',
  ).optional(),
  tags: describe(z.array(z.string().min(1).max(64)).min(1).max(20), 'tag: tags added to the contact.', [
    'interested',
  ]).optional(),
  url: describe(
    z.string().min(1).max(2000),
    "webhook: where to POST; signed like Parley webhooks with the flow's secret.",
    'https://example.com/hooks/flow',
  ).optional(),
  text: text(
    'send_message: the text sent to the caller (`{{variables}}` filled in).',
    'Here is your booking link: {{link}}',
  ).optional(),
  template: describe(
    z.strictObject({
      name: describe(z.string().min(1).max(512), 'Approved template name.', 'booking_link'),
      language: describe(z.string().min(2).max(15), 'Template language.', 'en').optional(),
      variables: describe(
        z.record(z.string(), z.string().max(1024)),
        'Template variables (`{{variables}}` filled in).',
        { name: '{{name}}' },
      ).optional(),
    }),
    'send_message: an approved template sent to the caller (outside the 24-hour window this is needed on WhatsApp).',
  ).optional(),
  channel: describe(
    z.enum(['whatsapp', 'sms']),
    'send_message: the channel (default whatsapp).',
    'whatsapp',
  ).optional(),
  on_fail: target('when the action fails (default: `next`)').optional(),
  next: target('after the action'),
});

const agentNode = z.strictObject({
  type: describe(z.literal('agent'), 'Hands the floor to an AI agent for a while.', 'agent'),
  agent_id: idOf('agt', 'The agent that talks.'),
  goal: describe(
    z.string().min(1).max(500),
    'What the agent should achieve; given to it as a dynamic variable `goal`.',
    'Find a new slot and book it',
  ).optional(),
  max_turns: describe(
    z.number().int().min(1).max(50),
    'Caller turns before moving on to `next` (default 6).',
    8,
  ).optional(),
  on_event: describe(
    z.partialRecord(z.enum(agentEvents), nodeId),
    'Where to go when the agent causes one of these events.',
    { 'booking.created': 'thanks', 'conversation.escalated': 'human' },
  ).optional(),
  next: target('after max_turns, or when the caller goes silent'),
});

const transferNode = z.strictObject({
  type: describe(z.literal('transfer'), 'Transfers the call to a number (ends the flow).', 'transfer'),
  to: describe(z.string().min(3).max(40), 'The number to transfer to (E.164).', '+919811112222'),
  say: text('Said before transferring.', 'Connecting you to our team.').optional(),
  on_fail: target('when the transfer fails').optional(),
});

const endNode = z.strictObject({
  type: describe(z.literal('end'), 'Ends the call.', 'end'),
  text: text('Said before hanging up.', 'Thank you, see you soon!').optional(),
  outcome: describe(
    z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'outcomes are lower_snake_case'),
    'The outcome recorded on the call (and the campaign recipient).',
    'confirmed',
  ),
});

export const flowNode = z.discriminatedUnion(
  'type',
  [sayNode, askNode, branchNode, setNode, actionNode, agentNode, transferNode, endNode],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? `must be one of: ${nodeTypes.join(', ')}` : undefined,
  },
);
export type FlowNode = z.output<typeof flowNode>;

export const flowTimezone = describe(
  ianaTimezone(),
  'Timezone dates and times are understood in (default UTC).',
  'Asia/Kolkata',
);

const nodesSchema = describe(
  z
    .record(nodeId, flowNode)
    .refine((n) => Object.keys(n).length >= 1, 'a flow needs at least one node')
    .refine((n) => Object.keys(n).length <= 200, 'a flow has at most 200 nodes'),
  'The nodes by id.',
  {
    greet: { type: 'say', text: 'Namaste {{name}}, this is Glow Salon.', next: 'confirm' },
    confirm: {
      type: 'ask',
      prompt: 'Your haircut is {{slot}}. Can you come? Say yes or no, or press 1 or 2.',
      capture: { var: 'answer', kind: 'yes_no' },
      dtmf: { '1': 'yes', '2': 'no' },
      next: 'route',
    },
    route: { type: 'branch', cases: [{ when: { var: 'answer', eq: 'yes' }, next: 'thanks' }], else: 'bye' },
    thanks: { type: 'end', text: 'Thank you, see you soon!', outcome: 'confirmed' },
    bye: { type: 'end', text: 'Goodbye.', outcome: 'declined' },
  },
);

const fields = {
  name: describe(z.string().trim().min(1).max(200), 'Name of the flow.', 'Appointment reminder'),
  language: describe(z.string().min(2).max(15), 'Language of the flow (BCP 47), for speech.', 'en-IN'),
  timezone: flowTimezone,
  start: describe(nodeId, 'The first node.', 'greet'),
  nodes: nodesSchema,
  variables: describe(
    z.record(varName, scalar),
    'Default values of variables (dynamic variables and captured values override them).',
    { name: 'there' },
  ),
};

export const createFlowBody = z.strictObject({
  name: fields.name,
  language: fields.language.optional(),
  timezone: fields.timezone.optional(),
  start: fields.start,
  nodes: fields.nodes,
  variables: fields.variables.optional(),
});
export type CreateFlowInput = z.output<typeof createFlowBody>;

export const updateFlowBody = z.strictObject({
  name: fields.name.optional(),
  language: fields.language.optional(),
  timezone: fields.timezone.optional(),
  start: fields.start.optional(),
  nodes: fields.nodes.optional(),
  variables: fields.variables.optional(),
});
export type UpdateFlowInput = z.output<typeof updateFlowBody>;

export const flowObject = z.object({
  ...baseObject('vf', 'voice_flow'),
  name: fields.name,
  language: fields.language,
  timezone: describe(z.string(), 'Timezone dates and times are understood in.', 'Asia/Kolkata'),
  start: fields.start,
  nodes: fields.nodes,
  variables: fields.variables,
});

export const createdFlowObject = flowObject.extend({
  webhook_secret: describe(
    z.string(),
    "The `whsec_` secret that signs this flow's webhook actions; shown only here, at creation.",
    'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  ),
});

export const flowListQuery = listQuery({
  q: describe(z.string().min(1).max(200), 'Only flows whose name contains this.', 'reminder').optional(),
});

const flowInput = describe(
  z.union(
    [
      describe(z.string().max(2000), 'What the caller says.', 'yes'),
      z.strictObject({
        dtmf: describe(
          z.string().regex(/^[0-9*#]{1,32}$/, 'keypad keys: 0-9, * and #'),
          'Keys the caller presses.',
          '1',
        ),
      }),
      z.strictObject({
        no_input: describe(z.literal(true), 'The caller says nothing (the ask node times out).', true),
      }),
    ],
    { error: 'must be what the caller says (a string), {"dtmf": "1"} or {"no_input": true}' },
  ),
  'One caller turn: words, `{"dtmf": "1"}`, or `{"no_input": true}`.',
  'yes',
);

export const testFlowBody = z.strictObject({
  inputs: describe(
    z.array(flowInput).max(100),
    'What the caller says, turn by turn. When they run out, the caller stays silent (no-input handling applies).',
    ['yes', { dtmf: '1' }],
  ),
  dynamic_variables: describe(
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    "Variables for this run, as a call's `dynamic_variables`.",
    { name: 'Asha', slot: 'tomorrow at 5 pm' },
  ).optional(),
});

const transcriptEntry = z.object({
  role: describe(z.enum(['agent', 'customer']), 'Who spoke.', 'agent'),
  text: describe(
    z.string(),
    'What was said (keys pressed read as `[dtmf 1]`; silence as `[no input]`).',
    'Namaste Asha.',
  ),
  node: describe(z.string(), 'The node it belongs to.', 'greet'),
});

export const flowTestResult = z.object({
  object: describe(z.literal('voice_flow_test'), 'The type of this object.', 'voice_flow_test'),
  voice_flow_id: idOf('vf', 'The flow run.'),
  transcript: describe(z.array(transcriptEntry), 'The conversation, turn by turn.'),
  path: describe(z.array(z.string()), 'The nodes visited, in order.', [
    'greet',
    'confirm',
    'route',
    'thanks',
  ]),
  variables: describe(
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    'The variables at the end (defaults, dynamic variables and captured values).',
    { name: 'Asha', answer: 'yes' },
  ),
  outcome: describe(
    z.string().nullable(),
    "The end node's outcome (`transferred` after a transfer), or null when the run stopped early.",
    'confirmed',
  ),
  ended_reason: describe(
    z.enum(['flow_ended', 'transferred', 'max_steps']),
    'Why the run stopped.',
    'flow_ended',
  ),
  actions: describe(
    z.array(
      z.object({
        node: describe(z.string(), 'The node.', 'lead'),
        type: describe(
          z.string(),
          'What would happen (nothing is written by a test run).',
          'would_capture_lead',
        ),
        data: describe(z.record(z.string(), z.unknown()), 'Its details.', { fields: { name: 'Asha' } }),
      }),
    ),
    'Actions the flow would take on a real call.',
  ),
  unused_inputs: describe(z.number().int(), 'Inputs left over when the flow ended.', 0),
  unresolved_variables: describe(
    z.array(z.string()),
    "`{{variables}}` the run spoke with no value (said as nothing): give them in `dynamic_variables`, the flow's `variables`, or the contact.",
    ['slot'],
  ),
  dry_run: describe(z.literal(true), 'Always true: a test run writes nothing and calls no one.', true),
});
