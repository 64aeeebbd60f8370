import type { SecurityFixture } from '../security.ts';

let n = 0;

const fixture: SecurityFixture = {
  paths: ['/v1/contacts/:id'],
  async create(t, key) {
    const res = await t.call('POST', '/v1/contacts', {
      key,
      body: { email: `sec${Date.now()}${n++}@example.com` },
    });
    if (res.status !== 201) throw new Error(`contact fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body(method) {
    return method === 'PATCH' ? { name: 'Renamed' } : undefined;
  },
};

export default fixture;
