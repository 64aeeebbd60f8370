import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { frequencyCapListener } from '../../src/modules/broadcasts/broadcasts.deferrals.ts';
import { runFanOut } from '../../src/modules/broadcasts/broadcasts.fanout.ts';
import { FREQUENCY_CAPPED } from '../../src/modules/broadcasts/broadcasts.read.ts';
import { completeIfSettled } from '../../src/modules/broadcasts/broadcasts.service.ts';
import type { ParleyEvent } from '../../src/platform/events.ts';
import { statusPayload, templatePayload } from '../fakes/meta-graph.ts';
import { eventually, forEachStorage, signal } from '../support/harness.ts';
import { startWhatsAppApp, type WhatsAppApp } from '../support/whatsapp-app.ts';

/** Meta's failed status for error 131049 (Meta's error codes page, "per-user marketing message limit"). */
const held = [
  {
    code: 131049,
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    message: 'This message was not delivered to maintain healthy ecosystem engagement.',
    error_data: {
      details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
    },
    href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
  },
];

/**
 * Meta 131049 as a state: a broadcast recipient whose marketing message Meta held back is deferred
 * and sent again 12, 24 and 48 hours later within the broadcast's validity; counts keep
 * `deferred` and `frequency_capped` apart from `failed`. Time moves with the app's clock.
 */
forEachStorage('WhatsApp per-user marketing limit (131049)', (storage) => {
  let a: WhatsAppApp;
  let offsetMs = 0;
  const call = (method: string, url: string, body?: unknown) =>
    a.t.call(method, url, { key: a.ws.live, ...(body === undefined ? {} : { body }) });
  const broadcast = async (id: string) => (await call('GET', `/v1/broadcasts/${id}`)).body;
  const recipient = async (id: string) => (await call('GET', `/v1/broadcasts/${id}/recipients`)).body.data[0];
  /** Meta accepts the send, then reports it held back (a failed status with 131049). */
  const holdBack = async (broadcastId: string) => {
    const r = await eventually(async () => {
      const x = await recipient(broadcastId);
      return x.message_id && x.status === 'sent' ? x : undefined;
    });
    const m = (await call('GET', `/v1/messages/${r.message_id}`)).body;
    await a.postMeta(statusPayload(a.number, m.provider_message_id, m.to, 'failed', held));
    return r.message_id as string;
  };

  before(async () => {
    a = await startWhatsAppApp(storage, { now: () => new Date(Date.now() + offsetMs) });
    const tpl = await call('POST', '/v1/templates', {
      name: 'weekend_offer',
      language: 'en_US',
      category: 'marketing',
      body: 'Hi {{1}}, 20% off this weekend.',
    });
    assert.equal(tpl.status, 201, tpl.text);
    await eventually(async () => a.meta.templates.find((x) => x.body.name === 'weekend_offer'));
    await a.postMeta(templatePayload(a.number, 'weekend_offer', 'en_US', 'APPROVED'));
    await eventually(
      async () => (await call('GET', `/v1/templates/${tpl.body.id}`)).body.status === 'approved',
    );
  });
  after(async () => a?.close());

  it('defers a held-back recipient, retries at 12 h and 24 h, then counts it frequency-capped (not failed) past validity', async () => {
    offsetMs = 0;
    const contact = await call('POST', '/v1/contacts', { phone: '+16505551601', name: 'Asha' });
    const bc = await call('POST', '/v1/broadcasts', {
      name: 'Weekend',
      template: { name: 'weekend_offer', language: 'en_US' },
      contact_ids: [contact.body.id],
      variables: ['{{name|there}}'],
      valid_for_hours: 40,
    });
    assert.equal(bc.status, 202, bc.text);
    assert.ok(bc.body.valid_until);
    const first = await holdBack(bc.body.id);
    const deferred = await eventually(async () => {
      const b = await broadcast(bc.body.id);
      return b.counts.deferred === 1 ? b : undefined;
    });
    assert.equal(deferred.counts.failed, 0);
    assert.equal(deferred.status, 'sending', 'a deferred recipient keeps (or makes) the broadcast open');
    assert.equal((await recipient(bc.body.id)).status, 'deferred');
    assert.equal(
      (await call('GET', `/v1/broadcasts/${bc.body.id}/recipients?status=deferred`)).body.data.length,
      1,
    );

    // Before its time nothing is sent again.
    const sends = () => a.meta.sends(a.number.phoneNumberId).length;
    const before = sends();
    offsetMs = 11 * 3_600_000;
    await runFanOut(a.t.ctx, bc.body.id);
    assert.equal(sends(), before);
    // 12 hours on: sent again, as a new message.
    offsetMs = 12 * 3_600_000 + 60_000;
    await runFanOut(a.t.ctx, bc.body.id);
    await eventually(async () => sends() === before + 1);
    const second = await holdBack(bc.body.id);
    assert.notEqual(second, first);
    await eventually(async () => (await broadcast(bc.body.id)).counts.deferred === 1);
    // The next wait (24 h) would end past the 40 h validity: the third hold is final.
    offsetMs = 36 * 3_600_000 + 120_000;
    await runFanOut(a.t.ctx, bc.body.id);
    await eventually(async () => sends() === before + 2);
    await holdBack(bc.body.id);
    const done = await eventually(async () => {
      const b = await broadcast(bc.body.id);
      return b.status === 'completed' && b.counts.frequency_capped === 1 ? b : undefined;
    });
    assert.equal(done.counts.frequency_capped, 1);
    assert.equal(done.counts.failed, 0);
    assert.equal(done.counts.deferred, 0);
    const r = await recipient(bc.body.id);
    assert.equal(r.status, 'frequency_capped');
    assert.equal(r.error.code, 'whatsapp_frequency_capped');
    assert.equal(
      (await call('GET', `/v1/broadcasts/${bc.body.id}/recipients?status=failed`)).body.data.length,
      0,
    );
  });

  it('a 131049 answered on the send itself defers the recipient too', async () => {
    offsetMs = 0;
    const contact = await call('POST', '/v1/contacts', { phone: '+16505551602', name: 'Ravi' });
    a.meta.script.push({
      kind: 'error',
      status: 400,
      code: 131049,
      message: 'This message was not delivered to maintain healthy ecosystem engagement.',
    });
    const bc = await call('POST', '/v1/broadcasts', {
      name: 'Weekend 2',
      template: { name: 'weekend_offer', language: 'en_US' },
      contact_ids: [contact.body.id],
      variables: ['{{name|there}}'],
    });
    assert.equal(bc.status, 202, bc.text);
    await eventually(async () => (await broadcast(bc.body.id)).counts.deferred === 1);
    const r = await recipient(bc.body.id);
    assert.equal(r.status, 'deferred');
  });

  it('a hold recorded while the broadcast completes leaves it open: the completion waits for the deferral', {
    skip: storage === 'sqlite' && 'SQLite runs one writing transaction at a time: the two cannot overlap',
  }, async () => {
    offsetMs = 0;
    const contact = await call('POST', '/v1/contacts', { phone: '+16505551603', name: 'Mei' });
    const bc = await call('POST', '/v1/broadcasts', {
      name: 'Weekend 3',
      template: { name: 'weekend_offer', language: 'en_US' },
      contact_ids: [contact.body.id],
      variables: ['{{name|there}}'],
    });
    assert.equal(bc.status, 202, bc.text);
    // Sent, and the broadcast completed: put it back to the moment before its completion.
    const r = await eventually(async () => {
      const x = await recipient(bc.body.id);
      return x.status === 'sent' && (await broadcast(bc.body.id)).status === 'completed' ? x : undefined;
    });
    const ctx = a.t.ctx;
    await ctx.db
      .updateTable('broadcasts')
      .set({ status: 'sending', completed_at: null })
      .where('id', '=', bc.body.id)
      .execute();
    const failed: ParleyEvent = {
      id: 'evt_race',
      event: 'message.failed',
      timestamp: new Date().toISOString(),
      api_version: 'v1',
      workspace_id: bc.body.workspace_id ?? '',
      livemode: true,
      actor: { type: 'system', id: null },
      data: { id: r.message_id, error: { code: FREQUENCY_CAPPED } },
    };
    // Meta's hold is recorded in one transaction, still open while the completion runs in another.
    const { promise: held, resolve: release } = signal();
    const { promise: deferred, resolve: deferredInTx } = signal();
    const hold = ctx.transaction(async (tx) => {
      await frequencyCapListener(ctx)(tx, [failed]);
      deferredInTx();
      await held;
    });
    await deferred;
    const completion = ctx.transaction((tx) => completeIfSettled(ctx, tx, bc.body.id));
    // Either the completion waits on a lock (fixed) or it finishes without seeing the hold.
    // (Only a statement on the broadcasts table counts: the queue's own lock waits are not this.)
    let raced = false;
    const waiting = eventually(async () => {
      if (raced) return true;
      const rows = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
          where wait_event_type = 'Lock' and datname = current_database()
          and query ilike '%from "broadcasts"%for update%'`.execute(ctx.db);
      return rows.rows[0]!.n > 0;
    });
    const first = await Promise.race([completion.then(() => 'completed'), waiting.then(() => 'waiting')]);
    raced = true;
    await waiting;
    release();
    await hold;
    const settled = await completion;
    assert.equal(first, 'waiting', 'the completion must wait for the transaction that defers the recipient');
    assert.equal(settled, false, 'a deferred recipient keeps the broadcast open');
    const b = await broadcast(bc.body.id);
    assert.equal(b.status, 'sending');
    assert.equal(b.counts.deferred, 1);
  });
});
