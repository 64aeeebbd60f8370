import type { SecurityFixture } from '../security.ts';

export default {
  paths: [
    '/v1/webhooks/:id',
    '/v1/webhooks/:id/rotate-secret',
    '/v1/webhooks/:id/test',
    '/v1/webhooks/:id/deliveries',
    '/v1/webhooks/:id/deliveries/:delivery_id/redeliver',
  ],
  async create(t, key) {
    // Nothing listens on port 9; deliveries fail, which is fine for ownership checks.
    const res = await t.call('POST', '/v1/webhooks', {
      key,
      body: { url: 'http://127.0.0.1:9/security-fixture' },
    });
    if (res.status !== 201) throw new Error(`fixture: ${res.status} ${res.text}`);
    const test = await t.call('POST', `/v1/webhooks/${res.body.id}/test`, { key });
    if (test.status !== 202) throw new Error(`fixture: ${test.status} ${test.text}`);
    return { id: res.body.id, delivery_id: test.body.id };
  },
  body(method) {
    return method === 'PATCH' ? { description: 'security fixture' } : undefined;
  },
} satisfies SecurityFixture;
