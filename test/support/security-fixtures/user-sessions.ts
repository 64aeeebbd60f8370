import type { SecurityFixture } from '../security.ts';

let n = 0;

/** A user who signed in once: their sessions, listed and ended by an admin's key. */
const fixture: SecurityFixture = {
  paths: ['/v1/users/:id/sessions', '/v1/users/:id/sessions/:session_id'],
  async create(t, key) {
    const email = `sess${Date.now()}${n++}@example.com`;
    const password = 'correct horse battery';
    const user = await t.call('POST', '/v1/users', {
      key,
      body: { name: 'Session', email, role: 'agent', password },
    });
    if (user.status !== 201) throw new Error(`session fixture user: ${user.status} ${user.text}`);
    const login = await t.call('POST', '/v1/auth/login', { body: { email, password } });
    if (login.status !== 200) throw new Error(`session fixture login: ${login.status} ${login.text}`);
    const list = await t.call('GET', `/v1/users/${user.body.id}/sessions`, { key });
    if (list.status !== 200 || !list.body.data?.[0])
      throw new Error(`session fixture list: ${list.status} ${list.text}`);
    return { id: user.body.id, session_id: list.body.data[0].id };
  },
};

export default fixture;
