/**
 * `parley mcp` as an assistant uses it: the binary spawned over stdio and driven by the official
 * MCP SDK's Client, against a real Parley server started here (SQLite).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startReceiver, startServer, type TestServer } from '../../sdk/test/support/server.ts';
import { buildInputSchema } from '../src/mcp/schema.ts';
import { tools } from '../src/mcp/tools.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const openapi = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8'));

interface Session {
  client: Client;
  stderr: () => string;
  /** Every tool result text seen, to check no secret is ever echoed. */
  seen: string[];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  ok(name: string, args?: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

/** Spawns `parley mcp` with this key (from the environment, as an MCP client config sets it). */
async function connect(server: { url: string }, key: string, dir: string): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      '--disable-warning=ExperimentalWarning',
      '--conditions=parley-source',
      join(root, 'packages/cli/bin/parley.js'),
      'mcp',
    ],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'config'),
      PARLEY_API_KEY: key,
      PARLEY_BASE_URL: server.url,
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'parley-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  const seen: string[] = [];
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    for (const c of result.content) if (c.type === 'text') seen.push(c.text);
    return result;
  };
  return {
    client,
    stderr: () => stderr,
    seen,
    call,
    async ok(name, args) {
      const result = await call(name, args);
      const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
      assert.ok(!result.isError, `${name} failed: ${text}`);
      return JSON.parse(text);
    },
    close: () => client.close(),
  };
}

/** The API's error body from a failed tool call. */
function errorOf(result: CallToolResult): {
  code: string;
  message: string;
  request_id?: string;
  errors?: Array<{ field: string; message: string }>;
  [k: string]: unknown;
} {
  assert.equal(result.isError, true, 'the call failed');
  const first = result.content[0];
  assert.equal(first?.type, 'text');
  const body = JSON.parse(first.type === 'text' ? first.text : '{}');
  assert.deepEqual(result.structuredContent, body, 'the structured error is the text error');
  return body.error;
}

describe('tool input schemas from openapi.json', () => {
  it('every tool has one; a mismatch with the API (missing route, clashing argument) fails loudly', () => {
    for (const tool of tools) assert.equal(buildInputSchema(openapi, tool).type, 'object', tool.name);
    const reply = tools.find((t) => t.name === 'reply_to_conversation')!;
    assert.throws(() => buildInputSchema(openapi, { ...reply, path: '/v1/nope/{id}' }), /has no POST/);
    assert.throws(
      () => buildInputSchema(openapi, { ...reply, params: { id: 'text' } }),
      /two arguments are named text/,
    );
    assert.throws(() => buildInputSchema(openapi, { ...reply, require: ['colour'] }), /not an argument/);
  });
});

describe('parley mcp over stdio against a real server [sqlite]', () => {
  let server: TestServer;
  let ws: { id: string; live: string; test: string };
  let dir: string;
  let mcp: Session;
  let agentId: string;

  const api = async (method: string, path: string, body?: unknown, key = ws.test) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };

  before(async () => {
    server = await startServer();
    ws = await server.workspace();
    dir = mkdtempSync(join(tmpdir(), 'parley-mcp-test-'));
    const day = [{ open: '00:00', close: '24:00' }];
    const agent = await api('POST', '/v1/agents', {
      name: 'Glow Salon',
      greeting: 'Hello from Glow.',
      business: {
        timezone: 'UTC',
        hours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day },
      },
    });
    assert.equal(agent.status, 201, JSON.stringify(agent.body));
    agentId = agent.body.id;
    mcp = await connect(server, ws.test, dir);
  });
  after(async () => {
    await mcp?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every tool with the input schema of its REST operation', async () => {
    const { tools: listed } = await mcp.client.listTools();
    assert.deepEqual(
      listed.map((t) => t.name),
      tools.map((t) => t.name),
    );
    for (const name of [
      'list_conversations',
      'get_conversation',
      'list_messages',
      'reply_to_conversation',
      'send_message',
      'hand_off_conversation',
      'hand_back_conversation',
      'list_contacts',
      'create_contact',
      'search_knowledge',
      'push_knowledge',
      'check_availability',
      'book_appointment',
      'place_call',
      'get_call',
    ]) {
      assert.ok(
        listed.some((t) => t.name === name),
        `${name} is listed`,
      );
    }
    const byName = new Map(listed.map((t) => [t.name, t]));
    // Query parameters, path parameters and body fields come from openapi.json.
    const statusParam = openapi.paths['/v1/conversations'].get.parameters.find(
      (p: { name: string }) => p.name === 'status',
    );
    assert.deepEqual(byName.get('list_conversations')!.inputSchema.properties!.status, {
      ...statusParam.schema,
      description: statusParam.description,
      examples: [statusParam.example],
    });
    const reply = byName.get('reply_to_conversation')!.inputSchema;
    assert.deepEqual(reply.required, ['conversation_id']);
    const replyBody =
      openapi.paths['/v1/conversations/{id}/reply'].post.requestBody.content['application/json'];
    assert.deepEqual((reply.properties as any).text, replyBody.schema.properties.text);
    assert.equal(reply.additionalProperties, false);
    assert.deepEqual(byName.get('push_knowledge')!.inputSchema.required, ['agent_id', 'title']);
    const callItem =
      openapi.paths['/v1/calls'].post.requestBody.content['application/json'].schema.properties.calls.items;
    assert.deepEqual(byName.get('place_call')!.inputSchema.properties, callItem.properties);
    assert.equal(byName.get('list_conversations')!.annotations?.readOnlyHint, true);
    assert.equal(byName.get('send_message')!.annotations?.readOnlyHint, false);
  });

  it('declares the output schema of every tool, push_knowledge included (issue 52)', async () => {
    const { tools: listed } = await mcp.client.listTools();
    const without = listed.filter((t) => !t.outputSchema).map((t) => t.name);
    assert.deepEqual(without, [], `without an output schema: ${without.join(', ')}`);
    const pushed = (listed.find((t) => t.name === 'push_knowledge')!.outputSchema as any).anyOf[0];
    assert.deepEqual(pushed.required, ['created', 'document']);
    assert.ok(pushed.properties.document.properties.id, 'the document as the knowledge operation answers it');
    // The answer, or the API's error body of a failed call.
    const answer = (name: string) => (listed.find((t) => t.name === name)!.outputSchema as any).anyOf[0];
    assert.deepEqual(Object.keys(answer('list_conversations').properties).sort(), ['data', 'meta']);
    assert.ok(answer('place_call').properties.call, 'place_call answers the one item: its call');
    assert.ok(!('index' in answer('place_call').properties));
    // The client checks each answer's structuredContent against the declared schema.
    const res = await mcp.client.callTool({ name: 'list_conversations', arguments: { per_page: 2 } });
    assert.ok(!res.isError, JSON.stringify(res.content));
    assert.ok(Array.isArray((res.structuredContent as { data: unknown[] }).data));
  });

  it('annotates every tool as the table says: list, get and search tools are read-only', async () => {
    // [readOnly, destructive, idempotent, openWorld]
    const R = [true, false, true, false];
    const expected: Record<string, boolean[]> = {
      list_conversations: R,
      get_conversation: R,
      list_messages: R,
      reply_to_conversation: [false, false, false, true],
      send_message: [false, false, false, true],
      list_templates: R,
      hand_off_conversation: [false, false, false, false],
      hand_back_conversation: [false, false, false, false],
      list_contacts: R,
      get_contact: R,
      create_contact: [false, false, false, false],
      list_agents: R,
      search_knowledge: R,
      // Replaces the document with the same title (destructive), so pushing twice is one document.
      push_knowledge: [false, true, true, true],
      check_availability: R,
      book_appointment: [false, false, false, false],
      place_call: [false, false, false, true],
      get_call: R,
      hang_up_call: [false, true, true, true],
      list_calls: R,
      list_canned_responses: R,
      create_canned_response: [false, false, false, false],
      update_canned_response: [false, false, true, false],
      delete_canned_response: [false, true, true, false],
      assign_conversation: [false, false, true, false],
      get_team_queue: R,
      report_overview: R,
      report_calls: R,
      list_business_tools: R,
      // Reaches the business's system (a write only with live: true).
      test_business_tool: [false, false, false, true],
      list_tool_calls: R,
    };
    const { tools: listed } = await mcp.client.listTools();
    assert.deepEqual(listed.map((t) => t.name).sort(), Object.keys(expected).sort());
    for (const t of listed) {
      const a = t.annotations ?? {};
      assert.deepEqual(
        [a.readOnlyHint, a.destructiveHint, a.idempotentHint, a.openWorldHint],
        expected[t.name],
        t.name,
      );
      if (/^(list|get|search|check)_/.test(t.name)) assert.equal(a.readOnlyHint, true, t.name);
    }
  });

  it('conversations: find, read, reply, send a message and a template, hand off and hand back', async () => {
    const phone = '+919876543210';
    const inbound = await api('POST', '/v1/sandbox/inbound', {
      from: phone,
      text: 'Hi, are you open today?',
    });
    assert.equal(inbound.status, 200, JSON.stringify(inbound.body));

    const found = await mcp.ok('list_conversations', { q: 'open today', status: 'active' });
    assert.equal(found.data.length, 1);
    const conversationId = found.data[0].id as string;
    const conversation = await mcp.ok('get_conversation', { conversation_id: conversationId });
    assert.equal(conversation.id, conversationId);
    assert.equal(conversation.contact_phone ?? conversation.contact?.phone, phone);
    const messages = await mcp.ok('list_messages', { conversation_id: conversationId });
    assert.ok(
      messages.data.some((m: { text?: string }) => m.text === 'Hi, are you open today?'),
      JSON.stringify(messages.data),
    );

    const handedOff = await mcp.ok('hand_off_conversation', {
      conversation_id: conversationId,
      reason: 'Customer asks for a person',
    });
    assert.equal(handedOff.ai_paused, true);
    const paused = await mcp.ok('list_conversations', { ai_paused: true });
    assert.ok(paused.data.some((c: { id: string }) => c.id === conversationId));

    const reply = await mcp.ok('reply_to_conversation', {
      conversation_id: conversationId,
      text: 'Yes, open until 7 pm.',
    });
    assert.equal(reply.status, 'queued');
    assert.equal(reply.conversation_id, conversationId);

    const sent = await mcp.ok('send_message', { to: phone, text: 'See you soon.' });
    assert.equal(sent.status, 'queued');

    const template = await api('POST', '/v1/templates', {
      name: 'mcp_reminder',
      language: 'en',
      category: 'utility',
      body: 'Hello {{1}}, see you tomorrow.',
    });
    assert.equal(template.status, 201, JSON.stringify(template.body));
    const templates = await mcp.ok('list_templates', { name: 'mcp_reminder' });
    assert.equal(templates.data[0]?.name, 'mcp_reminder');
    const viaTemplate = await mcp.ok('send_message', {
      to: '+919876500001',
      template: { name: 'mcp_reminder', language: 'en', variables: ['Asha'] },
    });
    assert.equal(viaTemplate.status, 'queued');
    assert.equal(viaTemplate.type, 'template');

    const handedBack = await mcp.ok('hand_back_conversation', { conversation_id: conversationId });
    assert.equal(handedBack.ai_paused, false);
    const after = await api('GET', `/v1/conversations/${conversationId}`);
    assert.equal(after.body.ai_paused, false);
  });

  it('contacts: create, find and read; a phone already known is the API conflict', async () => {
    const created = await mcp.ok('create_contact', {
      phone: '+919811122233',
      name: 'Meera Iyer',
      tags: ['vip'],
    });
    assert.match(created.id, /^ct_/);
    const found = await mcp.ok('list_contacts', { q: 'Meera' });
    assert.deepEqual(
      found.data.map((c: { id: string }) => c.id),
      [created.id],
    );
    const read = await mcp.ok('get_contact', { contact_id: created.id });
    assert.equal(read.phone, '+919811122233');
    const again = errorOf(await mcp.call('create_contact', { phone: '+919811122233' }));
    assert.equal(again.code, 'conflict');
    assert.equal(again.existing_id, created.id);
    assert.match(again.request_id ?? '', /^req_/);
  });

  it('knowledge: push adds then replaces by title, and search finds it', async () => {
    const first = await mcp.ok('push_knowledge', {
      agent_id: agentId,
      title: 'Timings',
      content: 'We are open Monday to Saturday, 10 am to 7 pm.',
    });
    assert.equal(first.created, true);
    const second = await mcp.ok('push_knowledge', {
      agent_id: agentId,
      title: 'Timings',
      content: 'We are open every day, 9 am to 9 pm, including Sunday.',
    });
    assert.equal(second.created, false);
    assert.equal(second.document.id, first.document.id);
    const docs = await api('GET', `/v1/agents/${agentId}/knowledge`);
    assert.equal(docs.body.data.length, 1);
    const hits = await mcp.ok('search_knowledge', { agent_id: agentId, query: 'open on sunday' });
    assert.ok(hits.data.length >= 1, JSON.stringify(hits));
    assert.match(JSON.stringify(hits.data[0]), /Sunday/);
  });

  it('bookings: check availability and book a free slot', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const free = await mcp.ok('check_availability', { agent_id: agentId, date: tomorrow });
    assert.equal(free.closed, false);
    assert.ok(free.slots.length > 0);
    const slot = free.slots[0];
    const booking = await mcp.ok('book_appointment', {
      agent_id: agentId,
      start_at: slot.start_at,
      end_at: slot.end_at,
      phone: '+919822233344',
      name: 'Ravi',
    });
    assert.match(booking.id, /^bk/);
    assert.equal(new Date(booking.start_at).getTime(), new Date(slot.start_at).getTime());
    const after = await mcp.ok('check_availability', { agent_id: agentId, date: tomorrow });
    assert.ok(!after.slots.some((s: { start_at: string }) => s.start_at === slot.start_at));
  });

  it('calls: place a call, read it and find it', async () => {
    const placed = await mcp.ok('place_call', { agent_id: agentId, to: '+14155550100' });
    assert.match(placed.call.id, /^call_/);
    assert.equal(placed.media_session, undefined, 'the media token is not handed to the assistant');
    const read = await mcp.ok('get_call', { call_id: placed.call.id });
    assert.equal(read.id, placed.call.id);
    assert.equal(read.to, '+14155550100');
    const listed = await mcp.ok('list_calls', { agent_id: agentId });
    assert.ok(listed.data.some((c: { id: string }) => c.id === placed.call.id));
    const refused = errorOf(await mcp.call('place_call', { agent_id: agentId, to: '12' }));
    assert.equal(refused.code, 'validation_failed');
    const hungUp = await mcp.ok('hang_up_call', { call_id: placed.call.id });
    assert.equal(hungUp.id, placed.call.id);
    assert.ok(['canceled', 'completed'].includes(hungUp.status), hungUp.status);
    const again = errorOf(await mcp.call('hang_up_call', { call_id: placed.call.id }));
    assert.equal(again.code, 'conflict');
  });

  it('wrong arguments: the API validation error, with its fields, and the server keeps serving', async () => {
    const bad = errorOf(
      await mcp.call('reply_to_conversation', {
        conversation_id: 'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
        text: 42,
        colour: 'blue',
      }),
    );
    assert.equal(bad.code, 'validation_failed');
    assert.deepEqual(bad.errors, [
      { field: 'text', message: 'must be a string' },
      { field: 'colour', message: 'is not a known field' },
    ]);
    assert.equal(bad.message, 'text: must be a string; colour: is not a known field');
    // The REST API refuses the same body the same way.
    const rest = await api('POST', '/v1/conversations/conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D/reply', { text: 42 });
    assert.equal(rest.status, 400);
    assert.equal(rest.body.error.code, 'validation_failed');
    assert.deepEqual(rest.body.error.errors, [{ field: 'text', message: 'must be a string' }]);

    const missing = errorOf(await mcp.call('search_knowledge', { agent_id: agentId }));
    assert.equal(missing.code, 'validation_failed');
    assert.deepEqual(missing.errors, [{ field: 'query', message: 'is required' }]);
    const range = errorOf(await mcp.call('list_contacts', { per_page: 500 }));
    assert.deepEqual(range.errors, [{ field: 'per_page', message: 'must be at most 100' }]);
    const badId = errorOf(await mcp.call('get_conversation', { conversation_id: 'nope' }));
    assert.equal(badId.code, 'not_found');
    // An id of the wrong kind is named as the API names it.
    const wrongKind = errorOf(await mcp.call('get_call', { call_id: 'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D' }));
    assert.match(wrongKind.message, /call_id: must be an id starting with call_/);

    // Caught by the API itself (a rule the schema cannot say): still the API's error.
    const noContent = errorOf(await mcp.call('send_message', { to: '+919876543210' }));
    assert.equal(noContent.code, 'validation_failed');
    assert.match(noContent.request_id ?? '', /^req_/);

    await assert.rejects(mcp.client.callTool({ name: 'no_such_tool', arguments: {} }), /Unknown tool/);
    const again = await mcp.ok('list_agents');
    assert.ok(again.data.some((a: { id: string }) => a.id === agentId));
  });

  it('an API error keeps its code, message and request id', async () => {
    const unknown = errorOf(
      await mcp.call('get_conversation', { conversation_id: 'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D' }),
    );
    assert.equal(unknown.code, 'not_found');
    assert.match(unknown.message, /conversation/i);
    assert.match(unknown.request_id ?? '', /^req_/);
  });

  it('a revoked key: every call answers unauthorized, the process stays up, the key is never echoed', async () => {
    const made = await api('POST', '/v1/api-keys', { name: 'mcp-temp' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const key = made.body.key as string;
    const session = await connect(server, key, dir);
    try {
      assert.ok((await session.ok('list_agents')).data.length >= 1);
      const revoke = await fetch(`${server.url}/v1/api-keys/${made.body.id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${ws.test}` },
      });
      assert.ok(revoke.ok);
      for (let i = 0; i < 2; i++) {
        const refused = errorOf(await session.call('list_conversations'));
        assert.equal(refused.code, 'unauthorized');
        assert.match(refused.message, /revoked/);
      }
      assert.equal((await session.client.listTools()).tools.length, tools.length);
      for (const text of [...session.seen, session.stderr()])
        assert.ok(!text.includes(key), 'key not echoed');
    } finally {
      await session.close();
    }
    for (const text of [...mcp.seen, mcp.stderr()]) assert.ok(!text.includes(ws.test), 'key not echoed');
    assert.match(mcp.stderr(), /parley mcp: \d+ tools/);
  });

  it('a server that is down: the tool answers connection_failed and the process keeps serving', async () => {
    const down = await startReceiver();
    await down.close();
    const session = await connect(down, ws.test, dir);
    try {
      for (let i = 0; i < 2; i++) {
        const failed = errorOf(await session.call('list_agents'));
        assert.equal(failed.code, 'connection_failed');
        assert.match(failed.message, /Could not reach Parley/);
      }
      assert.equal((await session.client.listTools()).tools.length, tools.length);
    } finally {
      await session.close();
    }
  });
});
