import type { SecurityFixture } from '../security.ts';

export default {
  paths: ['/v1/events/:id'],
  async create(t, key) {
    // A webhook test is the one route of the events and webhooks modules that records an event.
    const hook = await t.call('POST', '/v1/webhooks', {
      key,
      body: { url: 'http://127.0.0.1:9/security-fixture' },
    });
    if (hook.status !== 201) throw new Error(`fixture: ${hook.status} ${hook.text}`);
    const test = await t.call('POST', `/v1/webhooks/${hook.body.id}/test`, { key });
    if (test.status !== 202) throw new Error(`fixture: ${test.status} ${test.text}`);
    return { id: test.body.event_id };
  },
} satisfies SecurityFixture;
