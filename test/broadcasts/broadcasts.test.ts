import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { consumeLimit, limitsFor } from '../../src/platform/limits.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

forEachStorage('broadcasts', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  let n = 0;
  const phone = () => `+9198765${String(43000 + n++).padStart(5, '0')}`;

  const call = (method: string, url: string, body?: unknown, key = ws.test) =>
    t.call(method, url, { key, body });
  const contact = async (body: Record<string, unknown>) => {
    const res = await call('POST', '/v1/contacts', { phone: phone(), ...body });
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };
  const broadcastCount = async () => (await call('GET', '/v1/broadcasts')).body.meta.total as number;
  const get = async (id: string) => (await call('GET', `/v1/broadcasts/${id}`)).body;
  const done = (id: string) =>
    eventually(async () => {
      const b = await get(id);
      return b.completed_at && b.counts.queued === 0 ? b : null;
    }, 20_000);

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    other = await t.workspace();
    const tpl = await call('POST', '/v1/templates', {
      name: 'promo',
      language: 'en',
      category: 'marketing',
      body: 'Hi {{name}}, use {{code}}',
    });
    assert.equal(tpl.status, 201, tpl.text);
    const positional = await call('POST', '/v1/templates', {
      name: 'promo_pos',
      language: 'en',
      category: 'marketing',
      body: 'Hello {{1}} from {{2}}',
    });
    assert.equal(positional.status, 201, positional.text);
  });
  after(() => t.close());

  it('sends to an audience: 202 at once, skips the opted-out contact, counts follow the messages', async () => {
    const ids = [
      await contact({ name: 'Ada' }),
      await contact({ name: 'Bo' }),
      await contact({ name: 'Cy', opted_out: true }),
    ];
    const aud = await call('POST', '/v1/audiences', { name: 'Promo list' });
    assert.equal(
      (await call('POST', `/v1/audiences/${aud.body.id}/contacts`, { contact_ids: ids })).status,
      200,
    );

    const res = await call('POST', '/v1/broadcasts', {
      name: 'Diwali',
      template: 'promo',
      audience_id: aud.body.id,
      variables: { code: 'DIWALI20' },
    });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.object, 'broadcast');
    assert.equal(res.body.status, 'sending');
    assert.deepEqual(res.body.template, { name: 'promo', language: 'en' });

    const b = await done(res.body.id);
    assert.equal(b.status, 'completed');
    assert.equal(b.counts.total, 3);
    assert.equal(b.counts.skipped, 1);
    assert.equal(b.counts.failed, 0);
    assert.equal(b.counts.sent + b.counts.delivered + b.counts.read, 2);
    // The sandbox moves the messages on to read by itself; the counts follow without a write here.
    const read = await eventually(async () => {
      const x = await get(res.body.id);
      return x.counts.read === 2 ? x : null;
    });
    assert.equal(read.counts.total, 3);

    const recipients = await call('GET', `/v1/broadcasts/${res.body.id}/recipients`);
    assert.equal(recipients.status, 200);
    assert.equal(recipients.body.meta.total, 3);
    const skipped = recipients.body.data.find((r: any) => r.contact_id === ids[2]);
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.message_id, null);
    assert.equal(skipped.error.code, 'contact_opted_out');
    const ada = recipients.body.data.find((r: any) => r.contact_id === ids[0]);
    assert.equal(ada.status, 'read');
    const msg = await call('GET', `/v1/messages/${ada.message_id}`);
    assert.equal(msg.body.text, 'Hi Ada, use DIWALI20');
    assert.deepEqual(msg.body.sender, { type: 'api_key', id: msg.body.sender.id });
    assert.ok(msg.body.sender.id.startsWith('key_'));

    const onlySkipped = await call('GET', `/v1/broadcasts/${res.body.id}/recipients?status=skipped`);
    assert.deepEqual(
      onlySkipped.body.data.map((r: any) => r.contact_id),
      [ids[2]],
    );
    const events = await call('GET', `/v1/events?type=broadcast.completed&object_id=${res.body.id}`);
    assert.equal(events.status, 200, events.text);
    assert.equal(events.body.data.length, 1);
    assert.equal(events.body.data[0].data.counts.skipped, 1);
  });

  it('fills variables from contact fields and reports a contact lacking one as failed', async () => {
    const withCity = await contact({ name: 'Dee', attributes: { city: 'Pune' } });
    const without = await contact({ name: 'Eve' });
    const res = await call('POST', '/v1/broadcasts', {
      name: 'Cities',
      template: { name: 'promo_pos', language: 'en' },
      contact_ids: [withCity, without],
      variables: { '1': '{{name|there}}', '2': '{{attributes.city}}' },
    });
    assert.equal(res.status, 202, res.text);
    const b = await done(res.body.id);
    assert.equal(b.counts.total, 2);
    assert.equal(b.counts.failed, 1);
    const failed = await call('GET', `/v1/broadcasts/${res.body.id}/recipients?status=failed`);
    assert.equal(failed.body.data[0].contact_id, without);
    assert.equal(failed.body.data[0].error.code, 'validation_failed');
    assert.match(failed.body.data[0].error.message, /attributes\.city/);
  });

  it('takes variables as a list by position, also inside the template object as POST /v1/messages does', async () => {
    const who = await contact({ name: 'Fay', attributes: { city: 'Goa' } });
    for (const body of [
      {
        template: { name: 'promo_pos', language: 'en' },
        variables: ['{{name|there}}', '{{attributes.city}}'],
      },
      {
        template: { name: 'promo_pos', language: 'en', variables: ['{{name|there}}', '{{attributes.city}}'] },
      },
      {
        template: { name: 'promo_pos', language: 'en', variables: ['ignored', '{{attributes.city}}'] },
        variables: { '1': '{{name|there}}' },
      },
    ]) {
      const res = await call('POST', '/v1/broadcasts', { name: 'Listed', contact_ids: [who], ...body });
      assert.equal(res.status, 202, res.text);
      assert.deepEqual(res.body.variables, { '1': '{{name|there}}', '2': '{{attributes.city}}' });
      const b = await done(res.body.id);
      assert.equal(b.counts.failed, 0, JSON.stringify(b.counts));
    }
  });

  it('refuses a missing or unapproved template with 422 and writes nothing', async () => {
    const before = await broadcastCount();
    const missing = await call('POST', '/v1/broadcasts', { name: 'x', template: 'nope', phones: [phone()] });
    assert.equal(missing.status, 422);
    assert.equal(missing.body.error.code, 'template_not_approved');
    const tpl = await call('POST', '/v1/templates', {
      name: 'rejected_one',
      language: 'en',
      category: 'marketing',
      body: 'Hi',
    });
    assert.equal((await call('PATCH', `/v1/templates/${tpl.body.id}`, { status: 'rejected' })).status, 200);
    const rejected = await call('POST', '/v1/broadcasts', {
      name: 'x',
      template: 'rejected_one',
      phones: [phone()],
    });
    assert.equal(rejected.status, 422);
    assert.equal(rejected.body.error.code, 'template_not_approved');
    assert.equal(await broadcastCount(), before);
  });

  it('waits for send_at, then sends', async () => {
    const sendAt = new Date(Date.now() + 1200);
    const res = await call('POST', '/v1/broadcasts', {
      name: 'Later',
      template: 'promo',
      phones: [phone(), phone()],
      variables: { name: 'friend', code: 'SOON' },
      send_at: sendAt.toISOString(),
    });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.status, 'scheduled');
    await new Promise((r) => setTimeout(r, 300));
    const early = await get(res.body.id);
    assert.equal(early.status, 'scheduled');
    assert.equal(early.counts.total, 0);
    const b = await done(res.body.id);
    assert.equal(b.status, 'completed');
    assert.equal(b.counts.total, 2);
    assert.ok(new Date(b.started_at).getTime() >= sendAt.getTime() - 5);
  });

  it('cancelled before send_at: every recipient is cancelled, nothing is sent', async () => {
    const res = await call('POST', '/v1/broadcasts', {
      name: 'Never',
      template: 'promo',
      phones: [phone(), phone()],
      variables: { name: 'friend', code: 'NO' },
      send_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    assert.equal(res.status, 202, res.text);
    const cancelled = await call('POST', `/v1/broadcasts/${res.body.id}/cancel`);
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.body.status, 'cancelled');
    const b = await done(res.body.id);
    assert.equal(b.status, 'cancelled');
    assert.deepEqual(
      { total: b.counts.total, cancelled: b.counts.cancelled, sent: b.counts.sent },
      { total: 2, cancelled: 2, sent: 0 },
    );
    const recipients = await call('GET', `/v1/broadcasts/${res.body.id}/recipients`);
    assert.ok(recipients.body.data.every((r: any) => r.status === 'cancelled' && r.message_id === null));
    // Again: the same answer, not an error.
    assert.equal((await call('POST', `/v1/broadcasts/${res.body.id}/cancel`)).status, 200);
  });

  it('a finished broadcast cannot be cancelled', async () => {
    const res = await call('POST', '/v1/broadcasts', {
      name: 'Quick',
      template: 'promo',
      phones: [phone()],
      variables: { name: 'friend', code: 'Q' },
    });
    await done(res.body.id);
    const again = await call('POST', `/v1/broadcasts/${res.body.id}/cancel`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'conflict');
  });

  it('rejects bad recipients and variables with 400, naming each, and writes nothing', async () => {
    const before = await broadcastCount();
    const none = await call('POST', '/v1/broadcasts', { name: 'x', template: 'promo' });
    assert.equal(none.status, 400);
    assert.equal(none.body.error.code, 'validation_failed');

    const aud = await call('POST', '/v1/audiences', { name: 'Two sources' });
    const both = await call('POST', '/v1/broadcasts', {
      name: 'x',
      template: 'promo',
      audience_id: aud.body.id,
      phones: [phone()],
    });
    assert.equal(both.status, 400);
    assert.deepEqual(both.body.error.errors.map((e: any) => e.field).sort(), ['audience_id', 'phones']);

    const badPhone = await call('POST', '/v1/broadcasts', {
      name: 'x',
      template: 'promo',
      phones: [phone(), '12', 'not a phone'],
      variables: { code: 'A' },
    });
    assert.equal(badPhone.status, 400);
    assert.deepEqual(
      badPhone.body.error.errors.map((e: any) => e.field),
      ['phones.1', 'phones.2'],
    );

    const foreign = await t.call('POST', '/v1/contacts', { key: other.test, body: { phone: phone() } });
    const badContact = await call('POST', '/v1/broadcasts', {
      name: 'x',
      template: 'promo',
      contact_ids: [foreign.body.id],
      variables: { code: 'A' },
    });
    assert.equal(badContact.status, 400);
    assert.equal(badContact.body.error.errors[0].field, 'contact_ids.0');

    const badVars = await call('POST', '/v1/broadcasts', {
      name: 'x',
      template: 'promo_pos',
      phones: [phone()],
      variables: { '1': 'x', '3': 'y' },
    });
    assert.equal(badVars.status, 400);
    assert.deepEqual(
      badVars.body.error.errors.map((e: any) => e.field),
      ['variables.2', 'variables.3'],
    );

    const extra = await call('POST', '/v1/broadcasts', {
      name: 'x',
      template: 'promo',
      phones: [phone()],
      mode: 1,
    });
    assert.equal(extra.status, 400);

    const otherAudience = await t.call('POST', '/v1/audiences', {
      key: other.test,
      body: { name: 'theirs' },
    });
    const foreignAudience = await call('POST', '/v1/broadcasts', {
      name: 'x',
      template: 'promo',
      audience_id: otherAudience.body.id,
    });
    assert.equal(foreignAudience.status, 404);
    assert.equal(await broadcastCount(), before);
  });

  it("another workspace's or mode's broadcast is not found", async () => {
    const res = await call('POST', '/v1/broadcasts', {
      name: 'Private',
      template: 'promo',
      phones: [phone()],
      variables: { name: 'friend', code: 'P' },
    });
    assert.equal(res.status, 202);
    for (const key of [other.test, ws.live]) {
      assert.equal((await call('GET', `/v1/broadcasts/${res.body.id}`, undefined, key)).status, 404);
      assert.equal(
        (await call('GET', `/v1/broadcasts/${res.body.id}/recipients`, undefined, key)).status,
        404,
      );
      assert.equal((await call('POST', `/v1/broadcasts/${res.body.id}/cancel`, undefined, key)).status, 404);
      const list = await call('GET', '/v1/broadcasts', undefined, key);
      assert.ok(!list.body.data.some((b: any) => b.id === res.body.id));
    }
    await done(res.body.id);
  });

  it('when the messages per hour run out, the rest waits instead of failing', async () => {
    const starter = await t.workspace({ plan: 'starter' });
    const tpl = await t.call('POST', '/v1/templates', {
      key: starter.test,
      body: { name: 'hello', language: 'en', category: 'utility', body: 'Hello {{name}}' },
    });
    assert.equal(tpl.status, 201, tpl.text);
    // Use up all but one message of the hour.
    await consumeLimit(
      t.ctx.rateLimits,
      `${starter.id}:test`,
      'messages_per_hour',
      limitsFor('starter', null),
      59,
    );
    const res = await t.call('POST', '/v1/broadcasts', {
      key: starter.test,
      body: {
        name: 'Capped',
        template: 'hello',
        phones: [phone(), phone(), phone()],
        variables: { name: '{{name|friend}}' },
      },
    });
    assert.equal(res.status, 202, res.text);
    let last: any;
    const b = await eventually(
      async () => {
        const r = await t.call('GET', `/v1/broadcasts/${res.body.id}`, { key: starter.test });
        if (r.status !== 200) throw new Error(r.text);
        last = r.body;
        const x = r.body;
        return x.counts.total === 3 && x.counts.queued === 2 && x.counts.read === 1 ? x : null;
        // Slow polling: the starter plan allows 60 requests per minute.
      },
      20_000,
      1000,
    ).catch((err) => {
      throw new Error(`${err.message}: ${JSON.stringify(last?.counts)}`);
    });
    assert.equal(b.counts.failed, 0);
    assert.equal(b.status, 'sending');
    assert.equal(b.completed_at, null);
  });
});
