import type { SecurityFixture } from '../security.ts';
import { nextNumber } from './channels.ts';

const toolBody = (n: number) => ({
  name: `security_tool_${n}`,
  description: 'Looks up an order.',
  effect: 'read',
  input_schema: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
  request: { method: 'GET', url: 'https://shop.example.com/orders/{order_id}' },
  mocks: [{ response: { body: { status: 'shipped' } } }],
});
let seq = 0;

const createTool = async (t: Parameters<SecurityFixture['create']>[0], key: string) => {
  const res = await t.call('POST', '/v1/tools', { key, body: toolBody(++seq) });
  if (res.status !== 201) throw new Error(`tool fixture: ${res.status} ${res.text}`);
  return res.body.id as string;
};

/** A workspace tool (answered by its mock, so no request leaves). */
export const tools: SecurityFixture = {
  paths: ['/v1/tools/:id', '/v1/tools/:id/test'],
  async create(t, key) {
    return { id: await createTool(t, key) };
  },
  body(method, path) {
    if (path.endsWith('/test')) return { args: { order_id: '5531' } };
    return method === 'PATCH' ? { description: 'Changed.' } : undefined;
  },
};

/** A recorded tool call: a mocked test run. */
export const toolCalls: SecurityFixture = {
  paths: ['/v1/tool-calls/:id'],
  async create(t, key) {
    const id = await createTool(t, key);
    const res = await t.call('POST', `/v1/tools/${id}/test`, { key, body: { args: { order_id: '5531' } } });
    if (res.status !== 200) throw new Error(`tool call fixture: ${res.status} ${res.text}`);
    return { id: res.body.call.id };
  },
};

/** A secret, by name. */
export const secrets: SecurityFixture = {
  paths: ['/v1/secrets/:name'],
  async create(t, key) {
    const name = `security_secret_${++seq}`;
    const res = await t.call('POST', '/v1/secrets', { key, body: { name, value: 'sk_security_fixture' } });
    if (res.status !== 201) throw new Error(`secret fixture: ${res.status} ${res.text}`);
    return { name };
  },
};

/** A conversation's tool calls. */
export const conversationToolCalls: SecurityFixture = {
  paths: ['/v1/conversations/:id/tool-calls'],
  async create(t, key) {
    const ch = await t.call('POST', '/v1/channels', {
      key,
      body: { type: 'sms', provider: 'sandbox', address: nextNumber() },
    });
    if (ch.status !== 201) throw new Error(`tool-calls fixture channel: ${ch.status} ${ch.text}`);
    const m = await t.call('POST', '/v1/messages', {
      key,
      body: { to: nextNumber(), type: 'text', text: 'hello', channel: 'sms', from: ch.body.address },
    });
    if (m.status >= 300) throw new Error(`tool-calls fixture message: ${m.status} ${m.text}`);
    return { id: m.body.conversation_id };
  },
};
