import type { SecurityFixture } from '../security.ts';

/** An agent to replay, in the key's own workspace and mode. */
const fixture: SecurityFixture = {
  paths: ['/v1/agents/:id/replay'],
  async create(t, key) {
    const agent = await t.call('POST', '/v1/agents', { key, body: { name: 'Replay fixture agent' } });
    if (agent.status !== 201) throw new Error(`replay fixture agent: ${agent.status} ${agent.text}`);
    return { id: agent.body.id };
  },
  body() {
    return { limit: 10 };
  },
};

export default fixture;
