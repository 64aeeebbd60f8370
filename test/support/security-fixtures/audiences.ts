import type { SecurityFixture } from '../security.ts';

const fixture: SecurityFixture = {
  paths: ['/v1/audiences/:id', '/v1/audiences/:id/contacts'],
  async create(t, key) {
    const res = await t.call('POST', '/v1/audiences', { key, body: { name: 'Security fixture audience' } });
    if (res.status !== 201) throw new Error(`audience fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body(method, path) {
    if (path === '/v1/audiences/:id/contacts' && method !== 'GET') return { phones: ['+14155550999'] };
    return method === 'PATCH' ? { name: 'Renamed' } : undefined;
  },
};

export default fixture;
