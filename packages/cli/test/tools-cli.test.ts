import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
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

  const cli = async (argv: string[], input?: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run({
      argv,
      env: { XDG_CONFIG_HOME: join(dir, 'empty'), PARLEY_BASE_URL: server.url, PARLEY_API_KEY: ws.test },
      io: { out: (t) => out.push(t), err: (t) => err.push(t) },
      stdin: Readable.from(input === undefined ? [] : [Buffer.from(input)]),
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
    assert.match(settings.signing_secret ?? '', /^whsec_/);
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

  it('parley secrets set (from standard input), list and delete; the value is never printed', async () => {
    const set = await cli(['secrets', 'set', 'crm_token'], 'sk_crm_from_stdin_42\n');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /\{\{secret\.crm_token\}\}/);
    const list = await cli(['secrets', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /crm_token/);
    assert.match(list.stdout, /shop_token/);
    const listed = await cli(['secrets', 'list', '--json']);
    assert.doesNotMatch(set.stdout + list.stdout + listed.stdout, /sk_crm_from_stdin|sk_cli_/);
    const empty = await cli(['secrets', 'set', 'crm_token'], '');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /standard input/);
    // The value went to the server whole, without its newline: a tool using it sends it.
    const tool = await new Parley({ apiKey: ws.test, baseUrl: server.url }).tools.create({
      name: 'crm_lookup',
      description: 'Finds a customer in the CRM.',
      effect: 'read',
      input_schema: { type: 'object', properties: {} },
      request: {
        method: 'GET',
        url: 'https://crm.example.com/me',
        headers: { 'x-token': '{{secret.crm_token}}' },
      },
    });
    const used = await cli(['secrets', 'delete', 'crm_token']);
    assert.equal(used.code, 1);
    assert.match(used.stderr, /crm_lookup|used/);
    assert.equal((await cli(['tools', 'delete', tool.id])).code, 0);
    const del = await cli(['secrets', 'delete', 'crm_token']);
    assert.equal(del.code, 0, del.stderr);
    assert.doesNotMatch((await cli(['secrets', 'list'])).stdout, /crm_token/);
  });

  it('parley tools create (a file or standard input), update, test --contact, delete', async () => {
    const file = join(dir, 'tool.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'loyalty_points',
        description: 'Looks up the points of the customer.',
        effect: 'read',
        input_schema: { type: 'object', properties: {} },
        request: {
          method: 'GET',
          url: 'https://shop.example.com/points',
          query: { phone: '{{contact.phone}}' },
        },
        mocks: [{ when: {}, response: { body: { points: 120 } } }],
      }),
    );
    const created = await cli(['tools', 'create', file, '--json']);
    assert.equal(created.code, 0, created.stderr);
    const tool = JSON.parse(created.stdout);
    assert.match(tool.id, /^tool_/);
    const bad = await cli(['tools', 'create', '-'], '{"name": "x", "effect": "read"}');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /description|input_schema|request/);
    assert.equal((await cli(['tools', 'create', '-'], 'not json')).code, 2);
    assert.equal((await cli(['tools', 'create', join(dir, 'missing.json')])).code, 2);
    const updated = await cli(['tools', 'update', tool.id, '-'], '{"description": "Points, by phone."}');
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal(
      (await new Parley({ apiKey: ws.test, baseUrl: server.url }).tools.get(tool.id)).description,
      'Points, by phone.',
    );
    const contact = await new Parley({ apiKey: ws.test, baseUrl: server.url }).contacts.create({
      name: 'Asha Rao',
      phone: '+14155550142',
    } as never);
    const test = await cli(['tools', 'test', tool.id, '--contact', contact.id]);
    assert.equal(test.code, 0, test.stderr);
    assert.match(test.stdout, /phone=%2B14155550142/);
    const unknown = await cli(['tools', 'test', tool.id, '--contact', 'ct_01M89FGF2E4PVZ29GD5CDR3P9D']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /contact_id/);
    const del = await cli(['tools', 'delete', tool.id]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await cli(['tools', 'show', tool.id])).code, 1);
  });
});
