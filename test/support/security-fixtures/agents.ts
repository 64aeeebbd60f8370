import type { SecurityFixture } from '../security.ts';

const fixture: SecurityFixture = {
  paths: [
    '/v1/agents/:id',
    '/v1/agents/:id/availability',
    '/v1/agents/:id/analyze',
    '/v1/agents/:id/model-check',
  ],
  async create(t, key) {
    const res = await t.call('POST', '/v1/agents', { key, body: { name: 'Security fixture agent' } });
    if (res.status !== 201) throw new Error(`agent fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body(method, path) {
    if (path.endsWith('/analyze')) return { from: '2026-01-01T00:00:00Z', to: '2026-01-31T00:00:00Z' };
    return method === 'PATCH' ? { name: 'Renamed' } : undefined;
  },
};

export default fixture;
