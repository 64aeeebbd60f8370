import type { SecurityFixture } from '../security.ts';

let n = 0;

const fixture: SecurityFixture = {
  paths: ['/v1/users/:id', '/v1/users/:id/availability', '/v1/users/:id/two-factor'],
  async create(t, key) {
    const user = await t.call('POST', '/v1/users', {
      key,
      body: { name: 'Fixture user', email: `fixture${Date.now()}${n++}@example.com` },
    });
    if (user.status !== 201) throw new Error(`user fixture: ${user.status} ${user.text}`);
    return { id: user.body.id };
  },
  body(method) {
    if (method === 'PUT') return { availability: 'offline' };
    return method === 'PATCH' ? { name: 'Renamed' } : undefined;
  },
};

export default fixture;
