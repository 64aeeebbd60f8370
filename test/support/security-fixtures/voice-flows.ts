import type { SecurityFixture } from '../security.ts';

const fixture: SecurityFixture = {
  paths: ['/v1/voice-flows/:id', '/v1/voice-flows/:id/test'],
  async create(t, key) {
    const res = await t.call('POST', '/v1/voice-flows', {
      key,
      body: {
        name: 'Security fixture',
        start: 'hello',
        nodes: {
          hello: { type: 'say', text: 'Hello.', next: 'bye' },
          bye: { type: 'end', outcome: 'done' },
        },
      },
    });
    if (res.status !== 201) throw new Error(`voice flow fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body(method, path) {
    if (path.endsWith('/test')) return { inputs: [] };
    if (method === 'PATCH') return { name: 'Renamed' };
    return undefined;
  },
};

export default fixture;
