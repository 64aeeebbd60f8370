import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Parley } from '@parley/sdk';
import { startServer, type TestServer } from '../../sdk/test/support/server.ts';
import { run } from '../src/cli.ts';
import { exportCsv } from '../src/reports.commands.ts';

describe('reports in the SDK and the CLI against a real server [sqlite]', () => {
  let server: TestServer;
  let ws: { id: string; live: string; test: string };
  let dir: string;

  before(async () => {
    server = await startServer();
    ws = await server.workspace();
    dir = mkdtempSync(join(tmpdir(), 'parley-reports-cli-'));
    for (const [i, text] of ['Hello', 'Are you open today?'].entries()) {
      const r = await fetch(`${server.url}/v1/sandbox/inbound`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ws.test}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from: `+9198000001${i}0`, text }),
      });
      assert.equal(r.status, 200);
    }
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

  it('the SDK reads the overview and streams an export', async () => {
    const parley = new Parley({ apiKey: ws.test, baseUrl: server.url });
    const report = await parley.reports.overview({ interval: 'day' });
    assert.equal(report.totals.conversations, 2);
    const body = await parley.reports.export('conversations');
    const text = await new Response(body).text();
    assert.equal(text.trimEnd().split('\r\n').length, 3);
    await assert.rejects(parley.reports.export('calls', { livemode: true } as never), /test key/);
  });

  it('parley reports overview and parley export conversations', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const r = await cli(['reports', 'overview', '--from', today, '--to', today, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).totals.conversations, 2);
    const plain = await cli(['reports', 'overview']);
    assert.match(plain.stdout, /conversations\s+2/);
    const file = join(dir, 'conversations.csv');
    const e = await cli(['export', 'conversations', '--out', file]);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stderr, /Wrote 2 conversations \(\d+ bytes\)/);
    assert.match(readFileSync(file, 'utf8'), /^id,created_at,channel/);
    // Progress as it streams: rows and bytes so far (here after every chunk).
    const err: string[] = [];
    await exportCsv(
      {
        client: new Parley({ apiKey: ws.test, baseUrl: server.url }),
        io: { out: () => {}, err: (t) => err.push(t) },
        json: false,
      },
      'conversations',
      { out: join(dir, 'progress.csv'), progressMs: 0 },
    );
    assert.match(
      err[0] ?? '',
      /^Exporting conversations: \d+ conversations, \d+ bytes\.\.\.$/,
      err.join('\n'),
    );
    assert.match(err.at(-1) ?? '', /^Wrote 2 conversations \(\d+ bytes\)/);
    const bad = await cli(['reports', 'overview', '--from', '2026-05-02', '--to', '2026-05-01']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /from/);
  });
});
