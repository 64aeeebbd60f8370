/**
 * The tool drill (issue 59, RELIABILITY.md): a built-in agent with a write tool (`refund`, read back
 * and confirmed by the customer) calls the business's system; the server is killed with SIGKILL
 * while the business is still answering. After the restart the reply job runs again: the refund
 * must reach the business again with the SAME `Idempotency-Key` and `webhook-id` (the business
 * answers a key it has seen with its first answer), never as a new call; the conversation ends
 * with one call on record and one answer to the customer. The figures it prints (`# drill: ...`)
 * are the ones RELIABILITY.md reports.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { json, startFakeBusiness } from '../test/support/fake-business.ts';
import { postgresAvailable, signal } from '../test/support/harness.ts';
import { freePort, killAll, type ServerProcess, spawnParley } from '../test/support/server-process.ts';
import {
  ADMIN_TOKEN,
  apiClient,
  fetchAgain as call,
  type DrillStorage,
  onStorage,
  testWorkspaceKey,
  until,
} from './support.ts';

const pgOk = process.env.PARLEY_TEST_PG === '0' ? false : await postgresAvailable();
after(killAll);

const secretKey = randomBytes(32).toString('base64');
const report = (line: string) => process.stdout.write(`# drill: ${line}\n`);
const SLOW = 600_000;

async function drill(storage: DrillStorage) {
  const shop = await startFakeBusiness();
  const firstArrived = signal();
  let refunds = 0;
  // The first request is held (the server is killed while the business answers it); the
  // business remembers keys, as an idempotent API does, and answers a key it saw with its answer.
  const seen = new Map<string, unknown>();
  shop.on('POST', '/refunds', (req, res) => {
    const key = String(req.headers['idempotency-key']);
    if (shop.requests.filter((r) => r.path === '/refunds').length === 1) {
      firstArrived.resolve();
      return;
    }
    if (!seen.has(key)) seen.set(key, { refund: `rf_${++refunds}`, status: 'sent' });
    json(res, 201, seen.get(key));
  });
  const port = await freePort();
  const env = {
    PARLEY_ADMIN_TOKEN: ADMIN_TOKEN,
    PARLEY_SECRET_KEY: secretKey,
    PARLEY_LOG_LEVEL: 'warn',
    PARLEY_JOB_POLL_MS: '50',
    PARLEY_WEBHOOK_ALLOW_PRIVATE: '1',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...storage.env,
  };
  const base = `http://127.0.0.1:${port}`;
  const ready = () => until(async () => (await call(`${base}/readyz`)).status === 200, 45_000);
  let server: ServerProcess = spawnParley(env);
  try {
    assert.ok(await ready(), server.output());
    const key = await testWorkspaceKey(base, 'Tool drill');
    const api = apiClient(base, key);
    const tool = await api('POST', '/v1/tools', {
      name: 'refund',
      description: 'Refunds an order.',
      effect: 'write',
      confirmation: 'I will refund order {{args.order_id}}. Shall I go ahead?',
      input_schema: {
        type: 'object',
        properties: { order_id: { type: 'string', pattern: '[0-9]{3,10}', description: 'the order number' } },
        required: ['order_id'],
      },
      request: { method: 'POST', url: `${shop.url}/refunds`, body: { order: '{{args.order_id}}' } },
      trigger: { keywords: ['refund'] },
      reply: 'Done: refund {{result.refund}} is on its way.',
      timeout_ms: 30_000,
    });
    await api('POST', '/v1/agents', { name: 'Corner Shop', tools: ['handoff', tool.id] });
    const from = '+14155550199';
    const aiTexts = async (conv: string) =>
      ((await api('GET', `/v1/conversations/${conv}/messages?per_page=100`)).data as any[])
        .filter((m) => m.sender.type === 'ai')
        .map((m) => m.text as string);
    const inbound = await api('POST', '/v1/sandbox/inbound', { from, text: 'Please refund order 5531' });
    const conv = inbound.conversation_id as string;
    assert.ok(await until(async () => (await aiTexts(conv)).length === 1, 60_000), 'the read-back');
    assert.equal((await aiTexts(conv))[0], 'I will refund order 5531. Shall I go ahead?');
    await api('POST', '/v1/sandbox/inbound', { from, text: 'yes' });
    await firstArrived.promise;
    server.child.kill('SIGKILL');
    await server.exited;
    const killedAt = Date.now();
    server = spawnParley(env);
    assert.ok(await ready(), server.output());
    assert.ok(
      await until(async () => (await aiTexts(conv)).length === 2, 300_000, 250),
      `the customer was answered after the restart: ${server.output().slice(-1500)}`,
    );
    const answeredMs = Date.now() - killedAt;
    const sent = shop.requests.filter((r) => r.path === '/refunds');
    assert.equal(sent.length, 2, 'sent once before the kill and once after');
    assert.equal(sent[1]!.headers['idempotency-key'], sent[0]!.headers['idempotency-key']);
    assert.equal(sent[1]!.headers['webhook-id'], sent[0]!.headers['webhook-id']);
    assert.equal(refunds, 1, 'one refund made');
    assert.equal((await aiTexts(conv))[1], 'Done: refund rf_1 is on its way.');
    const calls = (await api('GET', `/v1/conversations/${conv}/tool-calls`)).data as any[];
    assert.equal(calls.length, 1, 'one call on record');
    assert.equal(calls[0].status, 'ok');
    assert.equal(calls[0].id, sent[0]!.headers['idempotency-key']);
    assert.equal(calls[0].attempts, 2);
    report(
      `${storage.name} tool kill -9: a confirmed refund's request held by the business, the server killed; after the restart the reply job sent it again with the same Idempotency-Key and webhook-id (${sent.length} requests, 1 refund, 1 call on record, attempts 2), the customer answered ${answeredMs} ms after the kill`,
    );
  } catch (err) {
    throw new Error(`${(err as Error).stack}; server: ${server.output().slice(-1500)}`);
  } finally {
    await server.stop('SIGKILL');
    await shop.close();
  }
}

describe('drill: kill -9 while a write tool is being answered', () => {
  it(
    'SQLite: the refund is sent again with its key after the restart, never as a new call',
    {
      timeout: SLOW,
    },
    () => onStorage('sqlite', drill),
  );

  it('PostgreSQL: the same', { skip: pgOk ? false : 'PostgreSQL not reachable', timeout: SLOW }, () =>
    onStorage('postgres', drill),
  );
});
