import type { SecurityFixture } from '../security.ts';

const fixture: SecurityFixture = {
  paths: ['/v1/imports/:id'],
  async create(t, key) {
    const res = await t.call('POST', '/v1/imports', {
      key,
      body: { rows: [{ email: 'import-fixture@example.com' }] },
    });
    if (res.status !== 202) throw new Error(`import fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
};

export default fixture;
