/**
 * Replay of 1,000 past customer messages (issue 21: under 10 s): a salon agent with the
 * evaluation set's salon documents, 100 conversations of 10 customer messages each (the
 * evaluation set's salon messages, in turn), then `POST /v1/agents/{id}/replay` with
 * `limit: 1000`, as it is and with a draft (new instructions and a price change). Prints the
 * wall time of each replay, on SQLite and, when reachable, PostgreSQL.
 * Run: node_modules/.bin/node --disable-warning=ExperimentalWarning bench/replay.bench.ts [sqlite|postgres]
 * BENCH_REPLAY_MESSAGES changes the count (a quick check: 100).
 */
import assert from 'node:assert/strict';
import { queueStats } from '../src/platform/queue/stats.ts';
import { loadEvalSet } from '../test/support/ai-eval.ts';
import { postgresAvailable, type Storage, startTestApp } from '../test/support/harness.ts';

const MESSAGES = Number(process.env.BENCH_REPLAY_MESSAGES ?? 1000);
const PER_CONVERSATION = 10;

async function run(storage: Storage) {
  if (storage === 'postgres' && !(await postgresAvailable())) {
    console.log('postgres: not reachable, skipped');
    return;
  }
  const t = await startTestApp(storage);
  try {
    const ws = await t.workspace({ default_country: 'IN' });
    const salon = loadEvalSet().find((f) => f.business === 'salon')!;
    // Paused while the history is written: the past replies are not what is measured.
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        status: 'paused',
        business: {
          timezone: salon.agent.business.timezone,
          hours: salon.agent.business.hours,
          address: salon.agent.business.address,
          services: salon.agent.business.services,
        },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const agentId = agent.body.id as string;
    for (const doc of Object.values(salon.documents)) {
      const r = await t.call('POST', `/v1/agents/${agentId}/knowledge`, {
        key: ws.test,
        body: { title: doc.title, content: doc.content, doc_type: doc.kind },
      });
      assert.equal(r.status, 201, r.text);
    }
    // Messages the inbound API accepts (at most 4,096 characters; the set also has a longer one).
    const texts = salon.cases.map((c) => c.message).filter((m) => m.trim() && m.length <= 4096);
    const seedStarted = performance.now();
    const conversations = new Set<string>();
    for (let i = 0; i < MESSAGES; i++) {
      const from = `+9198${String(20_000_000 + Math.floor(i / PER_CONVERSATION)).padStart(8, '0')}`;
      const r = await t.call('POST', '/v1/sandbox/inbound', {
        key: ws.test,
        body: { from, text: texts[i % texts.length] },
      });
      assert.ok(r.status < 300, r.text);
      conversations.add(r.body.conversation_id);
    }
    console.log(
      `${storage}: wrote ${MESSAGES} customer messages in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
    );
    // The writes leave jobs behind (AI replies skipped for the paused agent, events): the replay is
    // timed once the queue has drained, not while it competes with them.
    const drainStarted = performance.now();
    const dialect = storage === 'postgres' ? 'postgres' : 'sqlite';
    while (performance.now() - drainStarted < 120_000) {
      const pending = (await queueStats(t.ctx.db, dialect)).reduce((n, k) => n + k.due + k.active, 0);
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`${storage}: queue drained in ${((performance.now() - drainStarted) / 1000).toFixed(1)} s`);
    for (const [label, body] of [
      ['as it is', { conversation_ids: [...conversations], limit: MESSAGES }],
      [
        'with a draft',
        {
          conversation_ids: [...conversations],
          limit: MESSAGES,
          draft: {
            instructions: 'Be brief and warm.',
            business: {
              // The same services (their ids kept), each 100 dearer.
              services: (
                agent.body.business.services as Array<{
                  id: string;
                  name: string;
                  duration_minutes: number;
                  price: number | null;
                }>
              ).map((s) => ({
                id: s.id,
                name: s.name,
                duration_minutes: s.duration_minutes,
                price: (s.price ?? 0) + 100,
              })),
            },
          },
        },
      ],
    ] as const) {
      const started = performance.now();
      const r = await t.call('POST', `/v1/agents/${agentId}/replay`, { key: ws.test, body });
      const seconds = (performance.now() - started) / 1000;
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.summary.total, MESSAGES);
      console.log(
        `${storage}: replay ${label}: ${MESSAGES} messages in ${seconds.toFixed(2)} s (${((seconds * 1000) / MESSAGES).toFixed(2)} ms/message), ${r.body.summary.changed} changed; target < 10 s for 1,000`,
      );
    }
  } finally {
    await t.close();
  }
}

const only = process.argv[2] as Storage | undefined;
for (const storage of ['sqlite', 'postgres'] as const) if (!only || only === storage) await run(storage);
