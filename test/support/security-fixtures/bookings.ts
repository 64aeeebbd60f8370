import type { SecurityFixture } from '../security.ts';

/** Far enough ahead to stay in the future; a Monday in UTC, within the default 09:00–17:00 hours. */
const MONDAY = '2099-06-01';

const fixture: SecurityFixture = {
  paths: ['/v1/bookings/:id', '/v1/bookings/:id/cancel', '/v1/bookings/:id/reschedule'],
  async create(t, key) {
    const agent = await t.call('POST', '/v1/agents', {
      key,
      body: { name: 'Security fixture booking agent' },
    });
    if (agent.status !== 201) throw new Error(`booking fixture agent: ${agent.status} ${agent.text}`);
    const res = await t.call('POST', '/v1/bookings', {
      key,
      body: {
        agent_id: agent.body.id,
        start_at: `${MONDAY}T10:00:00Z`,
        end_at: `${MONDAY}T10:30:00Z`,
        phone: '+14155550143',
      },
    });
    if (res.status !== 201) throw new Error(`booking fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body(_method, path) {
    if (path.endsWith('/reschedule')) return { start_at: `${MONDAY}T11:00:00Z` };
    if (path.endsWith('/cancel')) return {};
    return undefined;
  },
};

export default fixture;
