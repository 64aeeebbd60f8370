import type { SecurityFixture } from '../security.ts';

/** An SLA policy (team operations). */
export const slaPolicies: SecurityFixture = {
  paths: ['/v1/sla-policies/:id'],
  async create(t, key) {
    const res = await t.call('POST', '/v1/sla-policies', {
      key,
      body: { name: 'Fixture SLA', first_response_minutes: 30, applies_to: { tags: ['fixture'] } },
    });
    if (res.status !== 201) throw new Error(`sla fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body: (method) => (method === 'PATCH' ? { name: 'Renamed' } : undefined),
};

/** A run of an agent's analysis over a range (analysis and reports). */
export const analysisRuns: SecurityFixture = {
  paths: ['/v1/analysis-runs/:id'],
  async create(t, key) {
    const agent = await t.call('POST', '/v1/agents', { key, body: { name: 'Analysis fixture agent' } });
    if (agent.status !== 201) throw new Error(`analysis fixture agent: ${agent.status} ${agent.text}`);
    const run = await t.call('POST', `/v1/agents/${agent.body.id}/analyze`, {
      key,
      body: { from: '2026-01-01T00:00:00Z', to: '2026-01-31T00:00:00Z' },
    });
    if (run.status !== 202) throw new Error(`analysis run fixture: ${run.status} ${run.text}`);
    return { id: run.body.id };
  },
};
