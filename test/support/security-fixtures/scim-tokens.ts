import type { SecurityFixture } from '../security.ts';

const fixture: SecurityFixture = {
  paths: ['/v1/scim-tokens/:id'],
  async create(t, key) {
    const token = await t.call('POST', '/v1/scim-tokens', { key, body: { name: 'Fixture IdP' } });
    if (token.status !== 201) throw new Error(`SCIM token fixture: ${token.status} ${token.text}`);
    return { id: token.body.id };
  },
};

export default fixture;
