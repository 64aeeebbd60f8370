import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { registerAdapter } from '../../src/modules/channels/adapters.ts';
import { type ChannelAdapter, ChannelSendError } from '../../src/modules/channels/channel-adapter.ts';
import { runSendBatch } from '../../src/modules/messaging/send.job.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Exactly-once sends across a crash: the send job marks a message "handed to the provider" in a
 * committed write before calling the provider, so a run of the job after a process died finds
 * the mark and fails the message `send_outcome_unknown` rather than sending it a second time.
 * A crash is simulated by a provider call that never returns (the state kill -9 leaves: marked,
 * handed over, no answer recorded), then the job is run again, as recovery does.
 */

/** A live SMS provider the test steers per recipient. */
function steeredProvider() {
  const calls: string[] = [];
  /** Recipients whose send never answers until released. */
  const held = new Map<string, () => void>();
  const holdFor = new Set<string>();
  /** Recipients that fail retryably this many more times. */
  const flaky = new Map<string, number>();
  /** Recipients paced on their first send for this long. */
  const pacedFor = new Map<string, number>();
  const adapter: ChannelAdapter = {
    provider: 'twilio',
    async send(_channel, message) {
      calls.push(message.to);
      if (holdFor.has(message.to)) await new Promise<void>((resolve) => held.set(message.to, resolve));
      const left = flaky.get(message.to) ?? 0;
      if (left > 0) {
        flaky.set(message.to, left - 1);
        throw new ChannelSendError('provider_error', 'HTTP 503', { retryable: true, retryAfterMs: 0 });
      }
      return { providerMessageId: `SM${message.id}` };
    },
    verifyInbound: () => true,
    parseInbound: () => ({ messages: [], statuses: [], notices: [] }),
    reserveSendSlot(_channel, to) {
      const wait = pacedFor.get(to) ?? 0;
      pacedFor.delete(to);
      return wait;
    },
  };
  return { adapter, calls, holdFor, held, flaky, pacedFor };
}

forEachStorage('sends across a crash', (storage) => {
  let t: TestApp;
  let w: Workspace;
  const provider = steeredProvider();
  let n = 0;
  const nextPhone = () => `+1415555${String(2000 + ++n).slice(-4)}`;
  const callsTo = (to: string) => provider.calls.filter((c) => c === to).length;

  before(async () => {
    t = await startTestApp(storage);
    registerAdapter(t.ctx, provider.adapter);
    w = await t.workspace();
    const ch = await t.call('POST', '/v1/channels', {
      key: w.live,
      body: {
        type: 'sms',
        provider: 'twilio',
        address: '+14155550199',
        credentials: { account_sid: 'AC123', auth_token: 'secret-token' },
      },
    });
    assert.equal(ch.status, 201, ch.text);
  });
  after(async () => {
    await t.close();
  });

  const send = async (to: string) => {
    const r = await t.call('POST', '/v1/messages', {
      key: w.live,
      body: { to, type: 'text', text: 'x', channel: 'sms' },
    });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  const row = (id: string) =>
    t.ctx.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const eventsOf = async (id: string) =>
    (
      await t.ctx.db
        .selectFrom('events')
        .select(['type', 'data'])
        .where('object_id', '=', id)
        .orderBy('id')
        .execute()
    ).map((e) => ({ type: e.type, data: JSON.parse(e.data) as { error: unknown } }));
  /** The job run again after a crash, with the payload its enqueue wrote. */
  const rerun = (messageIds: string[]) =>
    runSendBatch(t.ctx, [
      { payload: { messageIds, attempt: 1 }, job: { id: 'rerun', attempt: 2, maxAttempts: 5 } },
    ]);
  /** A message handed to the provider whose answer never comes: what kill -9 mid-send leaves. */
  const handedOverThenCrashed = async () => {
    const to = nextPhone();
    provider.holdFor.add(to);
    const id = await send(to);
    await eventually(async () => provider.held.has(to), 15_000);
    return { id, to };
  };
  /** A queued message the queue will not send for a minute (paced), never handed over. */
  const queuedUnsent = async () => {
    const to = nextPhone();
    provider.pacedFor.set(to, 60_000);
    const id = await send(to);
    await eventually(async () => !provider.pacedFor.has(to), 15_000);
    return { id, to };
  };

  it('the mark is committed before the provider is called', async () => {
    const { id, to } = await handedOverThenCrashed();
    const r = await row(id);
    assert.equal(r.status, 'queued');
    assert.ok(r.send_started_at, 'marked as handed to the provider while the call is under way');
    assert.equal(callsTo(to), 1);
    provider.held.get(to)!();
  });

  it('a run after the crash fails the message send_outcome_unknown and never calls the provider again', async () => {
    const { id, to } = await handedOverThenCrashed();
    const outcomes = await rerun([id]);
    assert.deepEqual(outcomes, [null], 'the job is done, not retried');
    assert.equal(callsTo(to), 1, 'the provider saw one request only');
    const r = await row(id);
    assert.equal(r.status, 'failed');
    assert.equal(r.error_code, 'send_outcome_unknown');
    assert.match(r.error_message ?? '', /may or may not have been sent/);
    assert.ok(r.failed_at);
    const events = await eventsOf(id);
    assert.deepEqual(
      events.map((e) => e.type),
      ['message.failed'],
    );
    assert.equal((events[0]!.data.error as { code: string }).code, 'send_outcome_unknown');
    // The API shows it the same way.
    const got = await t.call('GET', `/v1/messages/${id}`, { key: w.live });
    assert.equal(got.body.status, 'failed');
    assert.equal(got.body.error.code, 'send_outcome_unknown');
    // A further run changes nothing and emits nothing.
    assert.deepEqual(await rerun([id]), [null]);
    assert.equal(callsTo(to), 1);
    assert.equal((await eventsOf(id)).length, 1);
    provider.held.get(to)!();
  });

  it('in one batch, only the message handed over is failed; the others are sent once', async () => {
    const crashed = await handedOverThenCrashed();
    const waiting = await queuedUnsent();
    assert.equal((await row(waiting.id)).send_started_at, null, 'a paced message is not marked');
    assert.equal(callsTo(waiting.to), 0);
    assert.deepEqual(await rerun([crashed.id, waiting.id]), [null]);
    assert.equal((await row(crashed.id)).error_code, 'send_outcome_unknown');
    assert.equal(callsTo(crashed.to), 1);
    const sent = await row(waiting.id);
    assert.equal(sent.status, 'sent');
    assert.equal(sent.provider_message_id, `SM${waiting.id}`);
    assert.ok(sent.send_started_at);
    assert.equal(callsTo(waiting.to), 1);
    assert.deepEqual(
      (await eventsOf(waiting.id)).map((e) => e.type),
      ['message.sent'],
    );
    provider.held.get(crashed.to)!();
  });

  it('two runs of one message at once hand it over once', async () => {
    const { id, to } = await queuedUnsent();
    const runs = await Promise.all([rerun([id]), rerun([id])]);
    assert.deepEqual(runs, [[null], [null]]);
    assert.equal(callsTo(to), 1, 'one provider call');
    assert.equal((await row(id)).status, 'sent');
    assert.deepEqual(
      (await eventsOf(id)).map((e) => e.type),
      ['message.sent'],
    );
  });

  it('a retryable failure puts the message back unmarked, and the retry sends it', async () => {
    const to = nextPhone();
    provider.flaky.set(to, 2);
    const id = await send(to);
    const r = await eventually(async () => {
      const m = await row(id);
      return m.status !== 'queued' ? m : null;
    }, 20_000);
    assert.equal(r.status, 'sent', `${r.error_code}: ${r.error_message}`);
    assert.equal(callsTo(to), 3, 'two failed attempts, one success');
    assert.deepEqual(
      (await eventsOf(id)).map((e) => e.type),
      ['message.sent'],
    );
  });
});
