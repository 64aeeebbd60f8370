import { SANDBOX_VOICE } from '../harness.ts';
import type { SecurityFixture } from '../security.ts';

/** A web call (nobody joins it, so it stays queued and can be hung up by the check). */
const fixture: SecurityFixture = {
  paths: ['/v1/calls/:id', '/v1/calls/:id/hangup', '/v1/calls/:id/recording', '/v1/calls/:id/analyze'],
  // A web call has no recording; the owner is told so about that call (not "no call with id").
  ownerRefusal: { '/v1/calls/:id/recording': /^Call call_\w+ has no recording: / },
  async create(t, key) {
    // The sandbox engines: a machine without espeak-ng and pocketsphinx places the call too.
    const agent = await t.call('POST', '/v1/agents', {
      key,
      body: { name: 'Calls fixture agent', voice: SANDBOX_VOICE },
    });
    if (agent.status !== 201) throw new Error(`calls fixture agent: ${agent.status} ${agent.text}`);
    const res = await t.call('POST', '/v1/calls', {
      key,
      body: { calls: [{ agent_id: agent.body.id, transport: 'web' }] },
    });
    if (res.status !== 201) throw new Error(`calls fixture: ${res.status} ${res.text}`);
    return { id: res.body.results[0].call.id };
  },
};

export default fixture;
