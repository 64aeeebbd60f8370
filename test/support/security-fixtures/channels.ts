import type { SecurityFixture } from '../security.ts';

let n = 0;
/** A distinct valid number per call: channel addresses are unique per workspace. */
export const nextNumber = () => `+1415555${String(1000 + (n++ % 9000)).padStart(4, '0')}`;

const fixture: SecurityFixture = {
  paths: [
    '/v1/channels/:id',
    '/v1/channels/:id/templates/sync',
    '/v1/channels/:id/health',
    '/v1/channels/:id/check',
  ],
  async create(t, key) {
    const res = await t.call('POST', '/v1/channels', {
      key,
      body: { type: 'sms', provider: 'sandbox', address: nextNumber() },
    });
    if (res.status !== 201) throw new Error(`channel fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body(method) {
    return method === 'PATCH' ? { settings: { note: 'x' } } : undefined;
  },
};

export default fixture;
