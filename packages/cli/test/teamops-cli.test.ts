import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Parley } from '@parley/sdk';
import { startServer, type TestServer } from '../../sdk/test/support/server.ts';
import { run } from '../src/cli.ts';

describe('parley teams queue, assign and availability [sqlite]', () => {
  let server: TestServer;
  let ws: { id: string; live: string; test: string };
  let dir: string;
  let client: Parley;
  before(async () => {
    server = await startServer();
    ws = await server.workspace();
    client = new Parley({ apiKey: ws.test, baseUrl: server.url });
    dir = mkdtempSync(join(tmpdir(), 'parley-teamops-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[], key = ws.test) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run({
      argv,
      env: { XDG_CONFIG_HOME: dir, PARLEY_BASE_URL: server.url, PARLEY_API_KEY: key },
      io: { out: (t) => out.push(t), err: (t) => err.push(t) },
    });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  }

  it('lists a queue oldest first, assigns by user, team or none, and sets availability', async () => {
    const user = (await client.post('/v1/users', {
      body: { name: 'Meera', email: 'meera@glow.in', password: 'correct horse battery' },
    } as never)) as { id: string };
    const team = (await client.post('/v1/teams', {
      body: { name: 'Desk', user_ids: [user.id] },
    } as never)) as {
      id: string;
    };
    const a = await client.sandbox.inbound({ from: '+919900000601', text: 'first' });
    const b = await client.sandbox.inbound({ from: '+919900000602', text: 'second' });
    for (const c of [a, b]) {
      const r = await cli(['assign', c.conversation_id as string, '--team', team.id]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`to team ${team.id}`), 'a manual team keeps it in its queue');
    }
    const q = await cli(['teams', 'queue', team.id]);
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stdout, /^2 waiting · manual · usr_\w+ \(offline\)/);
    const rows = q.stdout.split('\n').slice(2);
    assert.ok(rows[0]!.includes(a.conversation_id as string) && rows[0]!.includes('first'), q.stdout);
    assert.ok(rows[1]!.includes(b.conversation_id as string), q.stdout);
    const asJson = JSON.parse((await cli(['teams', 'queue', team.id, '--json'])).stdout);
    assert.equal(asJson.total, 2);

    const took = await cli(['assign', a.conversation_id as string, '--user', user.id]);
    assert.equal(took.code, 0, took.stderr);
    assert.equal(took.stdout, `Assigned ${a.conversation_id} to user ${user.id}`);
    assert.equal(JSON.parse((await cli(['teams', 'queue', team.id, '--json'])).stdout).total, 1);
    const none = await cli(['assign', a.conversation_id as string, '--none']);
    assert.equal(none.stdout, `${a.conversation_id} is unassigned`);
    assert.equal((await cli(['assign', a.conversation_id as string])).code, 2, 'one of the flags is needed');
    assert.equal(
      (await cli(['assign', a.conversation_id as string, '--user', 'usr_x', '--team', team.id])).code,
      2,
    );
    const missing = await cli([
      'assign',
      a.conversation_id as string,
      '--user',
      'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No user/);
    assert.equal((await cli(['teams', 'queue', 'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D'])).code, 1);

    // Availability is a person's: an API key is refused by the API, a session token works.
    const byKey = await cli(['availability', 'set', 'busy']);
    assert.equal(byKey.code, 5, 'a refused credential (403) exits 5');
    assert.match(byKey.stderr, /inbox session/);
    // Not the generic 403 hint ("Use a key that has this scope"): no key has it; a session token does.
    assert.doesNotMatch(byKey.stderr, /has this scope/);
    assert.match(byKey.stderr, /POST \/v1\/auth\/login/);
    const login = (await client.post('/v1/auth/login', {
      body: { email: 'meera@glow.in', password: 'correct horse battery' },
    } as never)) as { token: string };
    const online = await cli(['availability', 'set', 'online'], login.token);
    assert.equal(online.code, 0, online.stderr);
    assert.equal(online.stdout, 'online (set by hand)');
    // Online, and the team now routes: what waits in its queue is given out.
    await client.teams.update(team.id, { assignment: { mode: 'round_robin' } } as never);
    const got = await client.conversations.get(b.conversation_id as string);
    assert.deepEqual(got.assignee, { type: 'user', id: user.id });
    assert.equal((await cli(['availability'], login.token)).stdout, 'online (set by hand)');
    assert.equal((await cli(['availability', 'set', 'away'], login.token)).code, 2);
  });
});
