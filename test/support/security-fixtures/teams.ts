import type { SecurityFixture } from '../security.ts';

let n = 0;

const fixture: SecurityFixture = {
  paths: ['/v1/teams/:id', '/v1/teams/:id/members', '/v1/teams/:id/members/:user_id', '/v1/teams/:id/queue'],
  async create(t, key) {
    const user = await t.call('POST', '/v1/users', {
      key,
      body: { name: 'Team fixture user', email: `teamfixture${Date.now()}${n++}@example.com` },
    });
    if (user.status !== 201) throw new Error(`team fixture user: ${user.status} ${user.text}`);
    const team = await t.call('POST', '/v1/teams', {
      key,
      body: { name: 'Fixture team', user_ids: [user.body.id] },
    });
    if (team.status !== 201) throw new Error(`team fixture: ${team.status} ${team.text}`);
    return { id: team.body.id, user_id: user.body.id };
  },
  body(method, path) {
    if (path === '/v1/teams/:id/members' && method === 'POST')
      return { user_ids: ['usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D'] };
    return method === 'PATCH' ? { name: 'Renamed' } : undefined;
  },
};

export default fixture;
