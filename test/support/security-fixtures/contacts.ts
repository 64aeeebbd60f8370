import type { SecurityFixture } from '../security.ts';

let n = 0;

const fixture: SecurityFixture = {
  paths: ['/v1/contacts/:id', '/v1/contacts/:id/consents'],
  async create(t, key) {
    const res = await t.call('POST', '/v1/contacts', {
      key,
      body: { email: `sec${Date.now()}${n++}@example.com` },
    });
    if (res.status !== 201) throw new Error(`contact fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body(method, path) {
    if (path.endsWith('/consents'))
      return method === 'POST' ? { channel: 'whatsapp', purpose: 'marketing', status: 'revoked' } : undefined;
    return method === 'PATCH' ? { name: 'Renamed' } : undefined;
  },
};

export default fixture;
