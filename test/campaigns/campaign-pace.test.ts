import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { dialSpacingMs, takeDialSlot } from '../../src/modules/campaigns/pace.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

forEachStorage('campaign dial pace', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let n = 0;

  const campaignRow = async (callsPerSecond: number) => {
    const call = (method: string, url: string, body?: unknown) => t.call(method, url, { key: ws.test, body });
    const contact = await call('POST', '/v1/contacts', {
      phone: `+9198000090${String(n++).padStart(2, '0')}`,
    });
    const aud = await call('POST', '/v1/audiences', { name: `Pace ${n}` });
    await call('POST', `/v1/audiences/${aud.body.id}/contacts`, { contact_ids: [contact.body.id] });
    await call('POST', '/v1/templates', {
      name: `pace_${n}`,
      language: 'en',
      category: 'utility',
      body: 'Hello',
    });
    const c = await call('POST', '/v1/campaigns', {
      name: `Pace ${n}`,
      type: 'whatsapp',
      template: `pace_${n}`,
      audience_id: aud.body.id,
      calls_per_second: callsPerSecond,
    });
    assert.equal(c.status, 201, c.text);
    return c.body.id as string;
  };

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace({ default_country: 'IN' });
  });
  after(() => t.close());

  // At most calls_per_second dials in any second, and the wait a refused dial is told, are units
  // (src/modules/campaigns/pace.test.ts); here the slot itself, taken by a conditional update.
  it('on a virtual clock: dial attempts every 5 ms for 500 ms at pace 20 get exactly one slot per 50 ms', async () => {
    const id = await campaignRow(20);
    const start = Date.parse('2026-06-01T04:30:00.000Z');
    const granted: number[] = [];
    let waits = 0;
    for (let at = start; at < start + 500; at += 5) {
      const wait = await takeDialSlot(t.ctx.db, id, 20, at);
      if (wait === 0) granted.push(at);
      else {
        waits++;
        // What it says to wait is exactly what is left of the spacing.
        assert.equal(wait, granted.at(-1)! + 50 - at);
      }
    }
    assert.ok(waits > 0);
    assert.equal(granted.length, 10);
    // Neither faster nor slower: each slot is taken by the first attempt once the spacing has passed.
    for (let i = 1; i < granted.length; i++) assert.equal(granted[i]! - granted[i - 1]!, 50);
  });

  it('dial jobs racing in separate transactions (as two processes do) share one slot', async () => {
    const id = await campaignRow(3);
    assert.equal(dialSpacingMs(3), 334, 'spacing rounds up, so 3 dials never fit in 1 s');
    const at = Date.parse('2026-06-01T05:00:00.000Z');
    // Ten dials due at once, each in its own transaction.
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.ctx.transaction((tx) => takeDialSlot(tx.db, id, 3, at))),
    );
    assert.equal(results.filter((w) => w === 0).length, 1, 'one dial only');
    assert.ok(results.filter((w) => w > 0).every((w) => w === 334));
    // A dial that rolls back gives its slot back.
    await assert.rejects(
      t.ctx.transaction(async (tx) => {
        assert.equal(await takeDialSlot(tx.db, id, 3, at + 334), 0);
        throw new Error('call not written');
      }),
      /call not written/,
    );
    assert.equal(await takeDialSlot(t.ctx.db, id, 3, at + 334), 0);
    assert.equal(await takeDialSlot(t.ctx.db, id, 3, at + 667), 1);
  });
});
