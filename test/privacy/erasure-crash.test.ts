import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { modules } from '../../src/modules/index.ts';
import type { Module } from '../../src/modules/module.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Issue 51 item 1: an erasure cut short resumes where it was. A module's part that dies once
 * (standing for the process killed in the middle of it) leaves the erasure `running` with the
 * parts before it recorded as done; the job runs again, skips them, finishes, and emits
 * `contact.erased` once.
 */
forEachStorage('an erasure interrupted midway', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  const calls = { before: 0, crasher: 0 };
  let crashed: () => void;
  const crashedOnce = new Promise<void>((r) => {
    crashed = r;
  });

  before(async () => {
    const probe: Module = {
      name: 'erase-probe',
      erase: async () => {
        calls.before++;
      },
    };
    const crasher: Module = {
      name: 'erase-crasher',
      erase: async () => {
        calls.crasher++;
        if (calls.crasher === 1) {
          crashed();
          throw new Error('the process died here');
        }
      },
    };
    const at = modules.findIndex((m) => m.name === 'privacy');
    t = await startTestApp(storage, {
      modules: [...modules.slice(0, at), probe, crasher, ...modules.slice(at)],
    });
    ws = await t.workspace();
  });
  after(() => t?.close());

  it('resumes after the part that failed, runs each finished part once, and completes once', async () => {
    const c = await t.call('POST', '/v1/contacts', {
      key: ws.live,
      body: { phone: '+919812345672', name: 'Ilse Crashwell', email: 'ilse@example.com' },
    });
    assert.equal(c.status, 201, c.text);
    const erase = await t.call('POST', `/v1/contacts/${c.body.id}/erase`, {
      key: ws.live,
      body: { reason: 'Customer request' },
    });
    assert.equal(erase.status, 202, erase.text);
    await crashedOnce;
    const midway = await t.ctx.db
      .selectFrom('contact_erasures')
      .select(['status', 'steps_done'])
      .where('id', '=', erase.body.id)
      .executeTakeFirstOrThrow();
    assert.equal(midway.status, 'running');
    const done = JSON.parse(midway.steps_done) as string[];
    assert.ok(done.includes('erase-probe') && done.includes('messaging'), midway.steps_done);
    assert.ok(!done.includes('erase-crasher'));

    const completed = await eventually(async () => {
      const e = await t.call('GET', `/v1/erasures/${erase.body.id}`, { key: ws.live });
      return e.body.status === 'completed' ? e.body : undefined;
    }, 30_000);
    assert.ok(completed.completed_at);
    assert.deepEqual(calls, { before: 1, crasher: 2 });
    const row = await t.ctx.db
      .selectFrom('contact_erasures')
      .select(['subject', 'steps_done'])
      .where('id', '=', erase.body.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.subject, null, 'the record names no one once complete');
    assert.ok((JSON.parse(row.steps_done) as string[]).includes('platform'));
    const events = await t.ctx.db
      .selectFrom('events')
      .select('id')
      .where('type', '=', 'contact.erased')
      .where('object_id', '=', c.body.id)
      .execute();
    assert.equal(events.length, 1);
  });
});
