import { z } from 'zod';
import { baseObject, describe, idOf, listQuery, timestamp } from '../../platform/http/schemas.ts';

/**
 * A tool: a request to one of the business's own systems that an agent may make (order status,
 * CRM look-up, payment link). The model (or the built-in rules) gives only `args`; every other
 * value of the request is bound by Parley from the contact, the conversation, the agent and the
 * workspace's secrets (`{{contact.phone}}`, `{{secret.crm_token}}`).
 */
export const toolName = describe(
  z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lowercase letters, digits and _, starting with a letter'),
  'What the model and the records call the tool; unique in the workspace.',
  'order_status',
);

const template = (max: number, description: string, example: string) =>
  describe(z.string().max(max), description, example);

const stringMapOf = (description: string, example: Record<string, string>) =>
  describe(
    z.record(z.string().min(1).max(100), z.string().max(2000)).refine((m) => Object.keys(m).length <= 30, {
      message: 'at most 30 entries',
    }),
    description,
    example,
  );

export const toolRequest = describe(
  z.strictObject({
    method: describe(z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']), 'HTTP method.', 'POST'),
    url: template(
      2000,
      'http(s) URL; its path and query may hold `{param}` (an argument) and `{{args.x}}`, `{{contact.x}}`, `{{conversation.x}}`, `{{agent.x}}`, `{{secret.x}}` placeholders; its scheme and host may not.',
      'https://shop.example.com/api/orders/{order_id}',
    ),
    query: stringMapOf('Query parameters (values are templates).', { lang: 'en' }).optional(),
    headers: stringMapOf(
      'Request headers (values are templates), e.g. `authorization: Bearer {{secret.shop_token}}`.',
      {
        'x-shop-id': 'corner-shop',
      },
    ).optional(),
    body: describe(
      z.unknown(),
      "JSON body; every string in it is a template, and a string that is exactly one placeholder keeps the value's type.",
      { order_id: '{{args.order_id}}', phone: '{{contact.phone}}' },
    ).optional(),
  }),
  'The request Parley makes.',
);

export const toolResultSettings = describe(
  z.strictObject({
    pointer: describe(
      z
        .string()
        .max(500)
        .regex(/^(\/.*)?$/, 'a JSON pointer such as /data/order'),
      'JSON pointer into the response body: the part the agent sees (default: all of it).',
      '/order',
    ).optional(),
    max_chars: describe(
      z.number().int().min(50).max(20_000),
      'The result is cut to this many characters of JSON before the agent sees it (default 2000).',
      2000,
    ).optional(),
    redact: describe(
      z.array(z.string().min(1).max(100)).max(50),
      'Keys removed from the result (at any depth) before the agent or the records see it.',
      ['card_number'],
    ).optional(),
  }),
  'What of the response the agent sees.',
);

const resultPaths = (description: string) =>
  describe(z.record(z.string().regex(/^[A-Za-z0-9_]{1,64}$/), z.string().max(500)), description, {
    last_order_status: 'status',
  });

export const toolSave = describe(
  z.strictObject({
    contact_attributes: resultPaths(
      'Contact attributes set from the result: attribute name → dotted path in the result (`status`, `order.total`).',
    ).optional(),
    conversation_variables: resultPaths(
      "The conversation's dynamic variables set from the result: variable → dotted path.",
    ).optional(),
  }),
  'Values of the result kept on the contact or the conversation.',
);

export const toolVoice = describe(
  z.strictObject({
    holding_phrase: describe(
      z.string().trim().min(1).max(300),
      'Said on a call when the tool has not answered after `holding_after_ms`.',
      'One moment while I look that up.',
    ).optional(),
    holding_after_ms: describe(z.number().int().min(0).max(10_000), 'Default 700.', 700).optional(),
  }),
  'How the tool behaves on a call.',
);

export const toolMock = z.strictObject({
  tool: describe(
    z.string().min(1).max(64),
    'MCP tools: the imported tool this mock answers (absent: any of them).',
    'get_order',
  ).optional(),
  when: describe(
    z.record(z.string(), z.unknown()),
    'Arguments this mock answers (each given one must be equal); empty or absent: any.',
    { order_id: '5531' },
  ).optional(),
  response: describe(
    z.strictObject({
      status: describe(z.number().int().min(100).max(599), 'HTTP status (default 200).', 200).optional(),
      body: describe(z.unknown(), 'The JSON body.', { status: 'shipped' }),
    }),
    'What the mock answers.',
  ),
});

export const toolTrigger = describe(
  z.strictObject({
    keywords: describe(
      z.array(z.string().trim().min(1).max(100)).max(50),
      'Words or phrases that make the built-in agent use the tool.',
      ['order', 'parcel'],
    ).optional(),
    examples: describe(
      z.array(z.string().trim().min(1).max(300)).max(50),
      'Customer messages that should use it.',
      ['where is my order 5531?'],
    ).optional(),
  }),
  'When the built-in agent (no LLM) uses the tool.',
);

export const toolMcp = describe(
  z.strictObject({
    url: template(
      2000,
      'The MCP server (streamable HTTP transport): an http(s) URL without placeholders.',
      'https://shop.example.com/mcp',
    ),
    headers: stringMapOf('Request headers; values may hold `{{secret.x}}`.', {
      authorization: 'Bearer {{secret.shop_token}}',
    }).optional(),
    include: describe(
      z.array(z.string().min(1).max(64)).max(100),
      "Only these of the server's tools (default: all of them).",
      ['get_order', 'cancel_order'],
    )
      .nullable()
      .optional(),
    tools: describe(
      z.record(
        z.string().min(1).max(64),
        z.strictObject({
          effect: describe(z.enum(['read', 'write']), 'read or write.', 'write').optional(),
          confirmation: template(
            500,
            'The read-back the customer confirms before this write runs.',
            'I will cancel order {{args.order_id}}. Shall I go ahead?',
          )
            .nullable()
            .optional(),
        }),
      ),
      "Per imported tool: its effect (default: `read` when the server marks it `readOnlyHint`, else `write`) and a write's read-back.",
      { get_order: { effect: 'read' } },
    ).optional(),
  }),
  '`type: mcp`: the MCP server whose tools (`tools/list`) the agent may call (`tools/call`). They are imported when the tool is created or changed.',
);

/** Every field a tool has; POST requires some, PATCH none. */
const toolFields = {
  description: describe(
    z.string().trim().min(1).max(1000),
    'What the tool does and when to use it; the model reads it.',
    'Looks up the status of an order by its number.',
  ),
  input_schema: describe(
    z.record(z.string(), z.unknown()),
    "JSON Schema of the arguments: an object whose properties are string, number, integer, boolean, enum, or nested objects and arrays. A string property's `pattern` also lets the built-in agent find it in the customer's words.",
    {
      type: 'object',
      properties: { order_id: { type: 'string', pattern: '[0-9]{3,10}', description: 'The order number' } },
      required: ['order_id'],
    },
  ),
  effect: describe(
    z.enum(['read', 'write']),
    '`read` looks something up (retried on failure); `write` changes something (never retried, run only after the customer confirms).',
    'read',
  ),
  confirmation: template(
    500,
    'Write tools: the read-back the customer confirms before the tool runs, with `{{args.x}}` placeholders.',
    'I will cancel order {{args.order_id}}. Shall I go ahead?',
  )
    .nullable()
    .optional(),
  request: toolRequest,
  timeout_ms: describe(
    z.number().int().min(100).max(30_000),
    'The whole budget, retries included (default 3000 on a call, 8000 in chat).',
    3000,
  )
    .nullable()
    .optional(),
  result: toolResultSettings.optional(),
  save: toolSave.nullable().optional(),
  on_error: describe(
    z.enum(['say', 'handoff', 'continue']),
    'When the tool fails: `say` tells the customer (`error_message`), `handoff` passes the conversation to a person, `continue` answers without it.',
    'say',
  ).optional(),
  error_message: template(
    500,
    'What the customer is told when the tool fails and `on_error` is `say`.',
    "Sorry, I can't check orders right now. Please try again in a few minutes.",
  )
    .nullable()
    .optional(),
  reply: template(
    1000,
    "The built-in agent's answer, with `{{result.x}}` and `{{args.x}}` placeholders.",
    'Your order {{args.order_id}} is {{result.status}}.',
  )
    .nullable()
    .optional(),
  trigger: toolTrigger.nullable().optional(),
  voice: toolVoice.nullable().optional(),
  mocks: describe(
    z.array(toolMock).max(20),
    'Answers used instead of the request in test mode, in `POST /v1/agents/{id}/test` and in evaluations, when one matches.',
  ).optional(),
};

export const createToolBody = z.strictObject({
  name: toolName,
  type: describe(
    z.enum(['http', 'mcp']),
    '`http` (default): one request (`request`); `mcp`: the tools of an MCP server (`mcp`).',
    'http',
  ).optional(),
  ...toolFields,
  input_schema: toolFields.input_schema.optional(),
  request: describe(toolRequest, 'The request Parley makes (an http tool: required).', {
    method: 'GET',
    url: 'https://shop.example.com/api/orders/{order_id}',
  }).optional(),
  effect: toolFields.effect.optional(),
  mcp: toolMcp.optional(),
});

export const updateToolBody = z.strictObject({
  name: describe(toolName, 'A new name; unique in the workspace.', 'order_lookup').optional(),
  description: toolFields.description.optional(),
  input_schema: toolFields.input_schema.optional(),
  effect: toolFields.effect.optional(),
  confirmation: toolFields.confirmation,
  request: toolFields.request.optional(),
  timeout_ms: toolFields.timeout_ms,
  result: toolFields.result,
  save: toolFields.save,
  on_error: toolFields.on_error,
  error_message: toolFields.error_message,
  reply: toolFields.reply,
  trigger: toolFields.trigger,
  voice: toolFields.voice,
  mocks: toolFields.mocks,
  mcp: toolMcp.optional(),
});

export type CreateToolInput = z.output<typeof createToolBody>;
export type UpdateToolInput = z.output<typeof updateToolBody>;

export const toolObject = z.object({
  ...baseObject('tool', 'tool'),
  name: toolName,
  description: toolFields.description,
  type: describe(z.enum(['http', 'mcp']), 'How the tool is reached.', 'http'),
  input_schema: toolFields.input_schema,
  effect: toolFields.effect,
  confirmation: describe(z.string().nullable(), 'The read-back of a write tool.', null),
  request: toolRequest,
  timeout_ms: describe(z.number().int().nullable(), 'Budget in ms (null: the default).', null),
  result: describe(
    z.object({
      pointer: describe(z.string().nullable(), 'JSON pointer into the response.', '/order'),
      max_chars: describe(z.number().int(), 'Largest result shown to the agent.', 2000),
      redact: describe(z.array(z.string()), 'Keys removed from the result.', ['card_number']),
    }),
    'What of the response the agent sees.',
  ),
  save: describe(
    z
      .object({
        contact_attributes: describe(z.record(z.string(), z.string()), 'Attribute → result path.', {}),
        conversation_variables: describe(z.record(z.string(), z.string()), 'Variable → result path.', {}),
      })
      .nullable(),
    'Values kept from the result.',
    null,
  ),
  on_error: toolFields.on_error.unwrap(),
  error_message: describe(z.string().nullable(), 'What the customer is told on failure.', null),
  reply: describe(z.string().nullable(), "The built-in agent's answer template.", null),
  trigger: describe(
    z
      .object({
        keywords: describe(z.array(z.string()), 'Keywords.', ['order']),
        examples: describe(z.array(z.string()), 'Example messages.', ['where is my order 5531?']),
      })
      .nullable(),
    'When the built-in agent uses it.',
    null,
  ),
  voice: describe(
    z.object({
      holding_phrase: describe(z.string().nullable(), 'Said while waiting on a call.', 'One moment.'),
      holding_after_ms: describe(z.number().int(), 'When the holding phrase is said.', 700),
    }),
    'On a call.',
  ),
  mocks: describe(
    z.array(
      z.object({
        when: describe(z.record(z.string(), z.unknown()), 'Arguments matched.', { order_id: '5531' }),
        tool: describe(z.string(), 'MCP tools: the imported tool it answers.', 'get_order').optional(),
        response: describe(
          z.object({
            status: describe(z.number().int(), 'HTTP status.', 200),
            body: describe(z.unknown(), 'JSON body.', { status: 'shipped' }),
          }),
          'The answer.',
        ),
      }),
    ),
    'Mock answers.',
  ),
  mcp: describe(
    z
      .object({
        url: describe(z.string(), 'The MCP server.', 'https://shop.example.com/mcp'),
        headers: describe(z.record(z.string(), z.string()), 'Headers (secrets as placeholders).', {}),
        include: describe(z.array(z.string()).nullable(), 'The tools kept (null: all).', null),
        tools: describe(
          z.record(
            z.string(),
            z.object({
              effect: describe(z.enum(['read', 'write']), 'read or write.', 'read').optional(),
              confirmation: describe(z.string().nullable(), 'Read-back.', null).optional(),
            }),
          ),
          'Effects and read-backs set per tool.',
          {},
        ),
        imported: describe(
          z.array(
            z.object({
              name: describe(z.string(), "The server's name for it.", 'get_order'),
              agent_name: describe(z.string(), 'What the model calls it.', 'shop__get_order'),
              description: describe(z.string(), 'What it does.', 'Looks up an order.'),
              input_schema: describe(z.record(z.string(), z.unknown()), 'Its arguments.', {
                type: 'object',
              }),
              effect: describe(z.enum(['read', 'write']), 'read or write.', 'read'),
              confirmation: describe(z.string().nullable(), 'Read-back of a write.', null),
            }),
          ),
          "The server's tools the agent may call.",
        ),
        skipped: describe(
          z.array(
            z.object({
              name: describe(z.string(), 'Tool.', 'upload_file'),
              reason: describe(z.string(), 'Why.', 'input_schema.properties.file.type: ...'),
            }),
          ),
          'Tools of the server that could not be imported, and why.',
        ),
        imported_at: describe(
          z.string().nullable(),
          'When `tools/list` was read.',
          '2026-05-03T10:00:00.000Z',
        ),
      })
      .nullable(),
    '`type: mcp`: the server and its imported tools (null for an http tool).',
    null,
  ),
});
export type ToolObject = z.output<typeof toolObject>;

export const toolListQuery = listQuery({});

// --- Secrets ---------------------------------------------------------------------------------

export const secretName = describe(
  z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lowercase letters, digits and _, starting with a letter'),
  'The name tools refer to as `{{secret.<name>}}`.',
  'shop_token',
);

export const createSecretBody = z.strictObject({
  name: secretName,
  value: describe(
    z.string().min(1).max(4000),
    'The value; stored encrypted and never shown again.',
    'sk_live_51HxQ',
  ),
});

export const secretObject = z.object({
  object: describe(z.literal('secret'), 'The type of this object.', 'secret'),
  name: secretName,
  value: describe(z.literal('********'), 'Always masked: a secret is write-only.', '********'),
  livemode: describe(z.boolean(), 'True for live mode.', false),
  created_at: timestamp('When it was first set'),
  updated_at: timestamp('When its value last changed'),
});

export const secretParams = z.object({ name: secretName });

export const deletedSecret = z.object({
  object: describe(z.literal('secret'), 'The type of the deleted object.', 'secret'),
  name: secretName,
  deleted: describe(z.literal(true), 'Always true.', true),
});

// --- Settings --------------------------------------------------------------------------------

export const toolSettingsObject = z.object({
  object: describe(z.literal('tool_settings'), 'The type of this object.', 'tool_settings'),
  signing_secret: describe(
    z.string().nullable(),
    "The workspace's tool key: every tool request carries Standard Webhooks headers signed with it; check them with the SDK's `verifyWebhook(signing_secret, headers, body)`. Shown once: in the answer to its first read, or to the PATCH that rotates it; null in every other answer.",
    'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  ),
  signing_secret_last4: describe(
    z.string(),
    'The last four characters of the tool key, to tell keys apart without showing them.',
    'LaSw',
  ),
  allowed_private_hosts: describe(
    z.array(z.string()),
    'Hosts (names or addresses) tools may reach on a private network, e.g. an ERP on the LAN. 169.254.0.0/16 is refused whatever this says.',
    ['erp.lan', '10.0.0.12'],
  ),
});

export const updateToolSettingsBody = z.strictObject({
  allowed_private_hosts: describe(
    z
      .array(
        z
          .string()
          .trim()
          .toLowerCase()
          .regex(/^[a-z0-9.:[\]-]{1,253}$/, 'a host name or an IP address'),
      )
      .max(50),
    'Hosts tools may reach on a private network.',
    ['erp.lan'],
  ).optional(),
  rotate_signing_secret: describe(
    z.boolean(),
    'True: a new tool key replaces the old one.',
    false,
  ).optional(),
});

// --- Tool calls ------------------------------------------------------------------------------

export const toolCallObject = z.object({
  id: idOf('tc', "The tool call; also the `Idempotency-Key` of a write tool's request."),
  object: describe(z.literal('tool_call'), 'The type of this object.', 'tool_call'),
  livemode: describe(z.boolean(), 'True for live mode.', false),
  tool_id: idOf('tool', 'The tool.'),
  tool_name: toolName,
  conversation_id: describe(
    z.string().nullable(),
    'The conversation it ran in (null for a test).',
    'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  agent_id: describe(z.string().nullable(), 'The agent that used it.', 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  source: describe(
    z.enum(['chat', 'voice', 'test', 'playground', 'replay']),
    'Where it ran (`replay`: `POST /v1/agents/{id}/replay`).',
    'chat',
  ),
  effect: describe(z.enum(['read', 'write']), 'read or write.', 'read'),
  status: describe(
    z.enum(['ok', 'failed', 'mocked', 'skipped', 'replayed', 'started']),
    '`ok`, `failed`, `mocked` (a mock answered), `skipped` (a write test not run live), `replayed` (a replay answered with the response recorded in the live conversation) or `started` (a live write recorded before its request left and not finished yet: a reply job that runs again after a crash sends it again with the same `Idempotency-Key`; `failed` with code `interrupted` when nobody came back for it within a day).',
    'ok',
  ),
  code: describe(
    z.string().nullable(),
    'Why it failed: `timeout`, `http_error`, `blocked_address`, `too_large`, `bad_content_type`, `invalid_args`, `network_error`, `invalid_response`, `tool_error` (an MCP tool answered an error), `not_recorded` (a replay had no recorded answer), `no_mock` (an evaluation had no mock).',
    null,
  ),
  message: describe(z.string().nullable(), 'What went wrong, secrets masked.', null),
  attempts: describe(z.number().int(), 'Requests made (reads retry; writes never).', 1),
  latency_ms: describe(z.number().int(), 'From the first request to the last answer.', 84),
  args: describe(z.record(z.string(), z.unknown()), 'The arguments.', { order_id: '5531' }),
  request: describe(
    z.object({
      method: describe(z.string(), 'Method.', 'GET'),
      url: describe(z.string(), 'URL, secrets masked.', 'https://shop.example.com/api/orders/5531'),
      headers: describe(z.record(z.string(), z.string()), 'Headers, secrets masked.', {
        authorization: 'Bearer [secret:shop_token]',
      }),
      body: describe(z.unknown(), 'Body, secrets masked.', null),
    }),
    'What was sent.',
  ),
  response: describe(
    z
      .object({
        status: describe(z.number().int(), 'HTTP status.', 200),
        content_type: describe(z.string(), 'Content type.', 'application/json'),
        body: describe(
          z.string(),
          'The body (first 2000 characters), secrets masked.',
          '{"status":"shipped"}',
        ),
      })
      .nullable(),
    'What came back (null when nothing did).',
  ),
  result: describe(z.unknown(), 'What the agent saw (null when it failed).', { status: 'shipped' }),
  created_at: timestamp('When it ran'),
});
export type ToolCallObject = z.output<typeof toolCallObject>;

export const testToolBody = z.strictObject({
  args: describe(z.record(z.string(), z.unknown()), 'The arguments.', { order_id: '5531' }).optional(),
  live: describe(
    z.boolean(),
    'Make the real request even for a write tool (default: a write tool only shows the request it would make). A matching mock answers a test unless this is true.',
    false,
  ).optional(),
  contact_id: idOf('ct', 'The contact whose fields fill `{{contact.x}}` (default: none).').optional(),
  tool: describe(
    z.string().min(1).max(64),
    'MCP tools: which of the imported tools to call (its name on the server, e.g. `get_order`).',
  ).optional(),
});

export const testToolResponse = z.object({
  object: describe(z.literal('tool_test'), 'The type of this object.', 'tool_test'),
  ok: describe(z.boolean(), 'Whether the tool answered usably.', true),
  live: describe(z.boolean(), 'Whether the real request was made.', true),
  call: describe(
    toolCallObject,
    'The recorded call: the rendered request, the response and the mapped result.',
  ),
});
