import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Parley } from '@parley/sdk';
import { startServer, type TestServer } from '../../sdk/test/support/server.ts';
import { run } from '../src/cli.ts';

describe('tools in the SDK and the CLI against a real server [sqlite]', () => {
  let server: TestServer;
  let ws: { id: string; live: string; test: string };
  let dir: string;
  let toolId: string;

  before(async () => {
    server = await startServer();
    ws = await server.workspace();
    dir = mkdtempSync(join(tmpdir(), 'parley-tools-cli-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run({
      argv,
      env: { XDG_CONFIG_HOME: join(dir, 'empty'), PARLEY_BASE_URL: server.url, PARLEY_API_KEY: ws.test },
      io: { out: (t) => out.push(t), err: (t) => err.push(t) },
    });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  };

  it('the SDK sets a secret (masked back) and creates a tool that uses it', async () => {
    const parley = new Parley({ apiKey: ws.test, baseUrl: server.url });
    const secret = await parley.secrets.set({ name: 'shop_token', value: 'sk_cli_0123456789' });
    assert.equal(secret.value, '********');
    const tool = await parley.tools.create({
      name: 'order_status',
      description: 'Looks up an order.',
      effect: 'read',
      input_schema: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
      request: {
        method: 'GET',
        url: 'https://shop.example.com/orders/{order_id}',
        headers: { authorization: 'Bearer {{secret.shop_token}}' },
      },
      mocks: [{ when: { order_id: '5531' }, response: { body: { status: 'shipped' } } }],
    });
    toolId = tool.id;
    const settings = await parley.tools.settings();
    assert.match(settings.signing_secret, /^whsec_/);
  });

  it('parley tools list, show and test', async () => {
    const list = await cli(['tools', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /order_status\s+read\s+GET https:\/\/shop\.example\.com/);
    const show = await cli(['tools', 'show', toolId, '--json']);
    assert.equal(JSON.parse(show.stdout).name, 'order_status');
    const test = await cli(['tools', 'test', toolId, '--args', '{"order_id":"5531"}']);
    assert.equal(test.code, 0, test.stderr);
    assert.match(test.stdout, /status:\s+mocked, not live/);
    assert.match(test.stdout, /result:\s+\{"status":"shipped"\}/);
    assert.doesNotMatch(test.stdout, /sk_cli_/);
    const bad = await cli(['tools', 'test', toolId, '--args', 'not json']);
    assert.equal(bad.code, 2);
  });
});
