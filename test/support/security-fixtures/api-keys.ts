import type { SecurityFixture } from '../security.ts';

export default {
  paths: ['/v1/api-keys/:id'],
  async create(t, key) {
    const res = await t.call('POST', '/v1/api-keys', { key, body: { name: 'security fixture' } });
    if (res.status !== 201) throw new Error(`fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
} satisfies SecurityFixture;
