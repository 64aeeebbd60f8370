import type { SecurityFixture } from '../security.ts';

/** An agent with one knowledge document, in the key's own workspace and mode. */
const fixture: SecurityFixture = {
  paths: [
    '/v1/agents/:id/knowledge',
    '/v1/agents/:id/knowledge/search',
    '/v1/agents/:id/knowledge/upload',
    '/v1/agents/:id/knowledge/:doc_id',
    '/v1/agents/:id/test',
  ],
  async create(t, key) {
    const agent = await t.call('POST', '/v1/agents', { key, body: { name: 'Knowledge fixture agent' } });
    if (agent.status !== 201) throw new Error(`knowledge fixture agent: ${agent.status} ${agent.text}`);
    const doc = await t.call('POST', `/v1/agents/${agent.body.id}/knowledge`, {
      key,
      body: { title: 'Fixture', content: 'Parking is free.' },
    });
    if (doc.status !== 201) throw new Error(`knowledge fixture document: ${doc.status} ${doc.text}`);
    return { id: agent.body.id, doc_id: doc.body.id };
  },
  body(method, path) {
    if (path.endsWith('/search')) return { query: 'parking' };
    if (path.endsWith('/test')) return { message: 'hello' };
    if (path.endsWith('/upload')) return undefined;
    if (method === 'POST' || method === 'PUT') return { content: 'Parking is free.' };
    return undefined;
  },
};

export default fixture;
