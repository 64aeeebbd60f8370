import type { SecurityFixture } from '../security.ts';

const fixture: SecurityFixture = {
  paths: ['/v1/leads/:id'],
  async create(t, key) {
    const res = await t.call('POST', '/v1/leads', {
      key,
      body: { phone: '+14155550142', name: 'Security fixture lead' },
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`lead fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body(method) {
    return method === 'PATCH' ? { status: 'qualified' } : undefined;
  },
};

export default fixture;
