import type { SecurityFixture } from '../security.ts';

let n = 0;
const fixture: SecurityFixture = {
  paths: ['/v1/templates/:id'],
  async create(t, key) {
    const res = await t.call('POST', '/v1/templates', {
      key,
      body: { name: `security_fixture_${n++}`, language: 'en', category: 'utility', body: 'Hi {{1}}' },
    });
    if (res.status !== 201) throw new Error(`template fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body(method) {
    return method === 'PATCH' ? { body: 'Hello {{1}}' } : undefined;
  },
};

export default fixture;
