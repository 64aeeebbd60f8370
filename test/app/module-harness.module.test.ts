import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { wakeJob } from '../../src/modules/conversations/conversations.jobs.ts';
import { snoozeConversation } from '../../src/modules/conversations/conversations.service.ts';
import { sandboxInbound } from '../../src/modules/messaging/sandbox.service.ts';
import { InProcessBus } from '../../src/platform/bus.ts';
import { forEachStorage } from '../support/harness.ts';
import { jobsOf, type ModuleWorld, startModules } from '../support/modules.ts';

/** A bus that keeps what is published, for a test to read. */
class RecordingBus extends InProcessBus {
  readonly published: Array<{ channel: string; message: string }> = [];
  override async publish(channel: string, message: string) {
    this.published.push({ channel, message });
    await super.publish(channel, message);
  }
}

/**
 * The module harness's own fakes (issue 65): a world of the modules named and those they import, a
 * held queue (jobs recorded and left queued), the test's bus and clock.
 */
forEachStorage('the module harness: the modules asked for, a held queue, a fake bus and clock', (storage) => {
  let w: ModuleWorld;
  const bus = new RecordingBus();
  const at = new Date('2026-05-11T06:00:00Z');
  before(async () => {
    w = await startModules(storage, ['messaging'], { queue: 'hold', bus, clock: { now: () => at } });
  });
  after(() => w.close());

  it('starts the modules named and what they import, nothing else', () => {
    assert.ok(w.started.includes('messaging') && w.started.includes('conversations'), w.started.join());
    assert.ok(!w.started.includes('ai') && !w.started.includes('webhooks'), w.started.join());
    assert.ok('conversations' in w.modules, "the conversations module's instance");
  });

  it('a held queue records the job and runs nothing; the fake bus and clock are the app’s', async () => {
    const { scope } = await w.workspace();
    const id = (await sandboxInbound(w.ctx, scope, { from: '+919812300001', text: 'hi' })).conversation_id;
    const snoozed = await snoozeConversation(w.ctx, scope, id, 'PT2H', { type: 'system', id: null });
    const until = '2026-05-11T08:00:00.000Z';
    assert.equal(snoozed.snoozed_until, until, 'two hours from the fake clock');
    assert.deepEqual(jobsOf(w, wakeJob), [{ conversationId: id, until }]);
    const queued = await w.ctx.db
      .selectFrom('conversations')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    // Due at once by the database's time (the fake clock is months behind): a working queue could
    // wake it at any moment; held, it stays snoozed.
    assert.equal(queued.status, 'snoozed');
    const events = bus.published.map(
      (p) => JSON.parse(p.message) as { event: string; timestamp: string; data: { id: string } },
    );
    assert.ok(
      events.some(
        (e) => e.event === 'conversation.snoozed' && e.data.id === id && e.timestamp === at.toISOString(),
      ),
      events.map((e) => e.event).join(),
    );
  });
});
