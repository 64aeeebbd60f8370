import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Parley } from '@parley/sdk';
import { startServer, type TestServer } from '../../sdk/test/support/server.ts';
import { run } from '../src/cli.ts';

describe('parley canned and the SDK helpers [sqlite]', () => {
  let server: TestServer;
  let ws: { id: string; live: string; test: string };
  let dir: string;
  before(async () => {
    server = await startServer();
    ws = await server.workspace();
    dir = mkdtempSync(join(tmpdir(), 'parley-canned-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run({
      argv,
      env: { XDG_CONFIG_HOME: dir, PARLEY_BASE_URL: server.url, PARLEY_API_KEY: ws.test },
      io: { out: (t) => out.push(t), err: (t) => err.push(t) },
    });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  }

  it('creates, lists, sends and deletes canned responses', async () => {
    const created = await cli(['canned', 'create', 'hi', 'Greeting', 'Hello {{contact.phone}}!', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const id = JSON.parse(created.stdout).id as string;
    const dup = await cli(['canned', 'create', 'hi', 'Again', 'x']);
    assert.equal(dup.code, 1, dup.stderr);
    const list = await cli(['canned', 'list']);
    assert.match(list.stdout, /\/hi/);
    const client = new Parley({ apiKey: ws.test, baseUrl: server.url });
    const inbound = await client.sandbox.inbound({ from: '+919900000501', text: 'hey' });
    const sent = await cli(['canned', 'send', inbound.conversation_id as string, id]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /Hello \+919900000501!/);
    const sdkList = await client.cannedResponses.list();
    assert.deepEqual(
      sdkList.data.map((c) => c.short_code),
      ['hi'],
    );
    const macro = await client.macros.create({ name: 'Tag', actions: [{ type: 'add_tags', tags: ['x'] }] });
    const ran = await client.macros.run(inbound.conversation_id as string, macro.id);
    assert.equal(ran.results[0]?.status, 'ok');
    assert.equal((await cli(['canned', 'delete', id])).code, 0);
    assert.equal((await cli(['canned', 'show', id])).code, 1);
    assert.equal((await cli(['canned', 'bogus'])).code, 2);
  });
});
