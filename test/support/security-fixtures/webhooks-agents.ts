import type { SecurityFixture } from '../security.ts';

export default {
  paths: ['/v1/agents/:id/webhooks'],
  async create(t, key) {
    const res = await t.call('POST', '/v1/agents', { key, body: { name: 'Security fixture agent' } });
    if (res.status !== 201) throw new Error(`fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body(method) {
    return method === 'POST' ? { url: 'http://127.0.0.1:9/security-fixture' } : undefined;
  },
} satisfies SecurityFixture;
