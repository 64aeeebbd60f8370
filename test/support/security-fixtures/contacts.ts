import type { SecurityFixture } from '../security.ts';

let n = 0;
/** The second contact of the last fixture made, for a merge's body. */
let other = '';

const fixture: SecurityFixture = {
  paths: [
    '/v1/contacts/:id',
    '/v1/contacts/:id/consents',
    '/v1/contacts/:id/merge',
    '/v1/contacts/:id/duplicates',
    '/v1/contacts/:id/erase',
    '/v1/contacts/:id/export',
  ],
  async create(t, key) {
    const make = async () => {
      const res = await t.call('POST', '/v1/contacts', {
        key,
        body: { email: `sec${Date.now()}${n++}@example.com` },
      });
      if (res.status !== 201) throw new Error(`contact fixture: ${res.status} ${res.text}`);
      return res.body.id as string;
    };
    const id = await make();
    other = await make();
    return { id };
  },
  body(method, path) {
    if (path.endsWith('/consents'))
      return method === 'POST' ? { channel: 'whatsapp', purpose: 'marketing', status: 'revoked' } : undefined;
    if (path.endsWith('/merge')) return { other_id: other };
    if (path.endsWith('/erase')) return { reason: 'security check' };
    return method === 'PATCH' ? { name: 'Renamed' } : undefined;
  },
};

export default fixture;
