import type { TestApp } from '../harness.ts';
import type { SecurityFixture } from '../security.ts';
import conversations from './conversations.ts';

let n = 0;

/** Creates an object through `path` and returns its id (throws on anything but 201). */
async function made(t: TestApp, key: string, path: string, body: unknown): Promise<string> {
  const res = await t.call('POST', path, { key, body });
  if (res.status !== 201) throw new Error(`${path} fixture: ${res.status} ${res.text}`);
  return res.body.id;
}

const macroBody = { name: 'Fixture macro', actions: [{ type: 'add_tags', tags: ['fixture'] }] };

/** Canned responses, macros and automations (the teamtools module), and a macro run on a conversation. */
export const canned: SecurityFixture = {
  paths: ['/v1/canned-responses/:id'],
  async create(t, key) {
    const body = { short_code: `fx${Date.now()}${n++}`, title: 'Fixture', content: 'Hello {{contact.name}}' };
    return { id: await made(t, key, '/v1/canned-responses', body) };
  },
  body: (method) => (method === 'PATCH' ? { title: 'Renamed' } : undefined),
};

export const macros: SecurityFixture = {
  paths: ['/v1/macros/:id'],
  async create(t, key) {
    return { id: await made(t, key, '/v1/macros', macroBody) };
  },
  body: (method) => (method === 'PATCH' ? { name: 'Renamed' } : undefined),
};

export const automations: SecurityFixture = {
  paths: ['/v1/automations/:id'],
  async create(t, key) {
    const body = {
      name: 'Fixture automation',
      event: 'message.received',
      conditions: [],
      actions: [{ type: 'add_tags', tags: ['fixture'] }],
    };
    return { id: await made(t, key, '/v1/automations', body) };
  },
  body: (method) => (method === 'PATCH' ? { name: 'Renamed' } : undefined),
};

export const macroRuns: SecurityFixture = {
  paths: ['/v1/conversations/:id/macros/:macro_id'],
  async create(t, key) {
    const conversation = await conversations.create(t, key);
    return { ...conversation, macro_id: await made(t, key, '/v1/macros', macroBody) };
  },
};
