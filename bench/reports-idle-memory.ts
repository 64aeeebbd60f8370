/**
 * What an idle server is made of (issue 27's CSV goal counts the server's whole RSS): starts
 * Parley on a fresh SQLite directory as bench/reports-csv-server.ts does, collects garbage, and
 * prints process.memoryUsage(), V8's heap spaces and the largest object types of a heap snapshot.
 * Run: node --expose-gc --max-semi-space-size=2 bench/reports-idle-memory.ts [--snapshot]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { loadConfig } from '../src/platform/config.ts';
import { startParley } from '../src/server.ts';

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
const before = process.memoryUsage();
const config = loadConfig({
  PARLEY_DATA_DIR: process.env.BENCH_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'parley-idle-')),
  PARLEY_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
  PARLEY_SECRET_KEY: 'YmVuY2gtc2VjcmV0LWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE=',
  PARLEY_LOG_LEVEL: 'warn',
  PARLEY_ROLE: 'api',
  PORT: '0',
  HOST: '127.0.0.1',
});
const parley = await startParley(config, { listen: false, bootstrap: false });
await parley.app.listen({ port: 0, host: '127.0.0.1' });
(globalThis as { gc?: () => void }).gc?.();
const m = process.memoryUsage();
console.log(
  `node alone: rss ${mb(before.rss)}, heapUsed ${mb(before.heapUsed)}\nidle server: rss ${mb(m.rss)}, heapTotal ${mb(m.heapTotal)}, heapUsed ${mb(m.heapUsed)}, external ${mb(m.external)}, arrayBuffers ${mb(m.arrayBuffers)}`,
);
for (const s of v8.getHeapSpaceStatistics())
  console.log(`  ${s.space_name.padEnd(24)} size ${mb(s.space_size)} used ${mb(s.space_used_size)}`);
const code = v8.getHeapCodeStatistics();
console.log(
  `  code and metadata: bytecode+metadata ${mb(code.bytecode_and_metadata_size)}, code ${mb(code.code_and_metadata_size)}, external scripts ${mb(code.external_script_source_size)}`,
);
if (process.argv.includes('--snapshot')) {
  // Self size by constructor name, from a heap snapshot (the biggest 15).
  const chunks: string[] = [];
  for await (const c of v8.getHeapSnapshot()) chunks.push(String(c));
  const snap = JSON.parse(chunks.join(''));
  const f = snap.snapshot.meta.node_fields as string[];
  const types = snap.snapshot.meta.node_types[0] as string[];
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const by = new Map<string, number>();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const type = types[snap.nodes[i + ti!]];
    const key = type === 'object' ? `object ${snap.strings[snap.nodes[i + ni!]]}` : type!;
    by.set(key, (by.get(key) ?? 0) + snap.nodes[i + si!]);
  }
  for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`  ${mb(v).padStart(9)}  ${k}`);
}
await parley.close();
process.exit(0);
