/**
 * A Word document bomb against the built server (the defects issue, item 2: a 300 KB .docx took
 * the server to 1.4 GB, a 1.2 MB one to 3.8 GB, and stalled other workspaces' requests 1.4 s).
 * The bomb is made here (test/support/docx-bomb.ts): a zip whose word/document.xml inflates to
 * BENCH_BOMB_MB (1,024) MB of paragraphs, and the same with sizes that lie (declared 10 KB).
 * Prints the server's RSS (from /proc: VmRSS idle, VmHWM after each upload), each beside its limit
 * measured in the same run (the idle server's RSS plus the document worker's bounds), the answer,
 * and the slowest of another mode's requests made every 20 ms while the bomb was being refused.
 * Run: node --disable-warning=ExperimentalWarning bench/uploads.bench.ts
 */
import { readFileSync } from 'node:fs';
import { docxBomb } from '../test/support/docx-bomb.ts';
import { startServer } from './support.ts';

const MB = 1024 * 1024;
const BOMB_MB = Number(process.env.BENCH_BOMB_MB ?? 1024);
const server = await startServer();
const proc = (field: string) =>
  Number(
    new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1],
  ) / 1024;

async function call(
  method: string,
  path: string,
  key: string,
  body?: { type: string; data: Buffer | string },
) {
  const started = performance.now();
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': body.type } : {}) },
    body: body?.data,
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - started };
}

function form(file: Buffer, filename: string) {
  const boundary = `----bench${Date.now()}`;
  return {
    type: `multipart/form-data; boundary=${boundary}`,
    data: Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n\r\n`,
      ),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  };
}

/** Uploads `file` while another mode's key lists its agents every 20 ms; the slowest of those. */
async function upload(agentId: string, file: Buffer, name: string) {
  let slowest = 0;
  let done = false;
  const probe = (async () => {
    while (!done) {
      const r = await call('GET', '/v1/agents', server.testKey);
      slowest = Math.max(slowest, r.ms);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const res = await call('POST', `/v1/agents/${agentId}/knowledge/upload`, server.liveKey, form(file, name));
  done = true;
  await probe;
  return { ...res, slowestOtherMs: Math.round(slowest) };
}

try {
  const agent = await call('POST', '/v1/agents', server.liveKey, {
    type: 'application/json',
    data: JSON.stringify({ name: 'Bench' }),
  });
  const agentId = JSON.parse(agent.text).id as string;
  // Warm: the first document starts the worker's code once (module loading), as a busy server has.
  const small = docxBomb(64 * 1024);
  const warm = await upload(agentId, small, 'warm.docx');
  if (warm.status !== 201) throw new Error(`a small document was refused: ${warm.status} ${warm.text}`);
  const idle = proc('VmRSS');
  const smallDoc = await upload(agentId, small, 'prices.docx');
  const afterSmall = proc('VmHWM');
  const bomb = docxBomb(BOMB_MB * MB);
  const lying = docxBomb(256 * MB, { declareBytes: 10_000 });
  const honest = await upload(agentId, bomb, 'bomb.docx');
  const afterHonest = proc('VmHWM');
  const liar = await upload(agentId, lying, 'lying.docx');
  const afterLiar = proc('VmHWM');
  const { DOCUMENT_RSS_GROWTH_LIMIT_BYTES, DOCUMENT_WORKER_HEAP_MB } = await import(
    '../src/modules/knowledge/document-parse.ts'
  );
  const limit = Math.round(idle + DOCUMENT_RSS_GROWTH_LIMIT_BYTES / MB);
  const row = (what: string, r: Awaited<ReturnType<typeof upload>>, peak: number, size: number) =>
    console.log(
      `${what} (${(size / MB).toFixed(2)} MB uploaded): ${r.status} in ${Math.round(r.ms)} ms; server peak RSS ${Math.round(peak)} MB ` +
        `(limit, same run: idle ${Math.round(idle)} MB + the worker's ${DOCUMENT_RSS_GROWTH_LIMIT_BYTES / MB} MB watch = ${limit} MB; heap cap ${DOCUMENT_WORKER_HEAP_MB} MB); ` +
        `slowest other request meanwhile ${r.slowestOtherMs} ms`,
    );
  console.log(`server idle RSS ${Math.round(idle)} MB (after one document read)`);
  row('64 KB docx, read', smallDoc, afterSmall, small.length);
  row(`${BOMB_MB} MB docx bomb`, honest, afterHonest, bomb.length);
  row('256 MB docx bomb declaring 10 KB', liar, afterLiar, lying.length);
  console.log(`answers: ${honest.text}\n         ${liar.text}`);
  console.log(
    JSON.stringify({
      idle_rss_mb: Math.round(idle),
      bomb_mb: BOMB_MB,
      bomb_status: honest.status,
      bomb_peak_rss_mb: Math.round(afterHonest),
      lying_status: liar.status,
      lying_peak_rss_mb: Math.round(afterLiar),
      limit_rss_mb: limit,
      slowest_other_ms: Math.max(honest.slowestOtherMs, liar.slowestOtherMs),
    }),
  );
} finally {
  await server.stop();
}
