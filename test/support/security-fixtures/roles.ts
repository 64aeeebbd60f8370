import type { SecurityFixture } from '../security.ts';

let n = 0;

const fixture: SecurityFixture = {
  paths: ['/v1/roles/:id'],
  async create(t, key) {
    const role = await t.call('POST', '/v1/roles', {
      key,
      body: { name: `Fixture role ${Date.now()}${n++}`, permissions: ['conversations:read'] },
    });
    if (role.status !== 201) throw new Error(`role fixture: ${role.status} ${role.text}`);
    return { id: role.body.id };
  },
  body(method) {
    return method === 'PATCH' ? { description: 'Renamed' } : undefined;
  },
};

export default fixture;
