import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerAdapter } from '../src/modules/channels/adapters.ts';
import { type ChannelAdapter, ChannelSendError } from '../src/modules/channels/channel-adapter.ts';
import { loadChannelConfig } from '../src/modules/channels/channels.service.ts';
import { ingestInbound } from '../src/modules/messaging/inbound.service.ts';
import {
  eventually,
  forEachStorage,
  openWindow,
  startTestApp,
  type TestApp,
  type Workspace,
} from './support/harness.ts';

/**
 * A stand-in for Twilio in live mode: fails retryably for one number (until told), refuses
 * another for good, and paces the first send to a third.
 */
const calls: string[] = [];
let flakyFailures = 0;
const paced = new Set<string>();
const fakeTwilio: ChannelAdapter = {
  provider: 'twilio',
  async send(_channel, message) {
    calls.push(message.to);
    if (message.to === '+14155550111' && flakyFailures-- > 0)
      throw new ChannelSendError('provider_error', 'HTTP 503', { retryable: true, retryAfterMs: 50 });
    if (message.to === '+14155550122')
      throw new ChannelSendError('sms_undeliverable', 'Unreachable handset (30003)', {
        providerCode: '30003',
      });
    return { providerMessageId: `SM${message.id}` };
  },
  verifyInbound: () => true,
  parseInbound: () => ({ messages: [], statuses: [], notices: [] }),
  reserveSendSlot(_channel, to) {
    if (to === '+14155550133' && !paced.has(to)) {
      paced.add(to);
      return 80;
    }
    return 0;
  },
};

async function events(t: TestApp, wsId: string, type: string, objectId?: string) {
  let q = t.ctx.db.selectFrom('events').selectAll().where('workspace_id', '=', wsId).where('type', '=', type);
  if (objectId) q = q.where('object_id', '=', objectId);
  return q.execute();
}

const count = async (t: TestApp, table: 'messages' | 'conversations' | 'contacts', wsId: string) =>
  Number(
    (
      await t.ctx.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', wsId)
        .executeTakeFirstOrThrow()
    ).n,
  );

forEachStorage('messaging', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let other: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    registerAdapter(t.ctx, fakeTwilio);
    w = await t.workspace();
    other = await t.workspace();
  });
  after(async () => {
    await t.close();
  });

  describe('POST /v1/messages', () => {
    it("accepts the seed's body as is and the sandbox moves it to read, emitting each event", async () => {
      // Test mode enforces WhatsApp's 24-hour window as live does: the customer writes first.
      await openWindow(t, w.test, '+919876543210');
      const r = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: {
          to: '+919876543210',
          type: 'text',
          text: 'Namaste! Aapki appointment kal 3 baje confirm ho gayi hai.',
        },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.status, 'queued');
      assert.equal(r.body.to, '+919876543210');
      assert.match(r.body.conversation_id, /^conv_/);
      assert.ok(r.body.queued_at);
      const read = await eventually(async () => {
        const g = await t.call('GET', `/v1/messages/${r.body.id}`, { key: w.test });
        return g.body.status === 'read' ? g.body : null;
      }, 15_000);
      assert.ok(read.sent_at && read.delivered_at && read.read_at);
      assert.ok(read.sent_at <= read.delivered_at && read.delivered_at <= read.read_at);
      for (const type of ['message.sent', 'message.delivered', 'message.read']) {
        assert.equal((await events(t, w.id, type, r.body.id)).length, 1, type);
      }
      const conv = await t.call('GET', `/v1/conversations/${r.body.conversation_id}`, { key: w.test });
      assert.equal(conv.body.last_message, 'Namaste! Aapki appointment kal 3 baje confirm ho gayi hai.');
      assert.equal(conv.body.contact.phone, '+919876543210');
      // A second send reuses the contact and the conversation.
      const again = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+91 98765 43210', type: 'text', text: 'again' },
      });
      assert.equal(again.body.conversation_id, r.body.conversation_id);
    });

    it('opens a new conversation the same way whichever writer stores the send', async () => {
      // A plain SMS to a number goes through the batch writer; an email is written on its own.
      const send = (channel: string, to: string) =>
        t.call('POST', '/v1/messages', {
          key: w.test,
          body: { to, channel, type: 'text', text: 'Your table is ready.' },
        });
      const batched = await send('sms', '+14155550161');
      const alone = await send('email', 'table-17@example.com');
      assert.equal(batched.status, 201, batched.text);
      assert.equal(alone.status, 201, alone.text);
      for (const message of [batched.body, alone.body]) {
        const conv = await t.call('GET', `/v1/conversations/${message.conversation_id}`, { key: w.test });
        assert.equal(conv.status, 200, conv.text);
        assert.equal(conv.body.status, 'active');
        assert.equal(conv.body.last_message, 'Your table is ready.');
        assert.equal(conv.body.last_message_at, message.created_at);
        assert.equal(conv.body.last_message_sender, 'api_key', message.to);
      }
    });

    it('refuses bad content with a 400 naming each field, and writes nothing', async () => {
      await openWindow(t, w.test, '+919800000009');
      const before = await count(t, 'messages', w.id);
      const contactsBefore = await count(t, 'contacts', w.id);
      const cases: Array<[unknown, string]> = [
        [{ to: '+919800000001', type: 'text' }, 'text'],
        [{ to: '+919800000001', type: 'fax', text: 'x' }, 'type'],
        [{ to: '+919800000001', type: 'text', text: 'x'.repeat(4097) }, 'text'],
        [
          {
            to: '+919800000001',
            type: 'image',
            image: { url: 'https://x.test/a.jpg', caption: 'c'.repeat(1025) },
          },
          'image.caption',
        ],
        [{ to: '+919800000001', type: 'image', image: { url: 'ftp://x.test/a.jpg' } }, 'image.url'],
        [{ to: 'not-a-phone', type: 'text', text: 'x' }, 'to'],
        [{ to: '+919800000001', type: 'text', text: 'x', image: { url: 'https://x.test/a.jpg' } }, 'image'],
        [{ to: '+919800000001', type: 'text', text: 'x', surprise: 1 }, 'surprise'],
        [
          {
            to: '+919800000001',
            type: 'interactive',
            interactive: {
              type: 'button',
              body: 'Pick',
              buttons: [1, 2, 3, 4].map((i) => ({ id: `b${i}`, title: `B${i}` })),
            },
          },
          'interactive.buttons',
        ],
        [
          {
            to: '+919800000001',
            type: 'interactive',
            interactive: { type: 'button', body: 'Pick', buttons: [{ id: 'a', title: 'x'.repeat(21) }] },
          },
          'interactive.buttons.0.title',
        ],
        [
          {
            to: '+919800000001',
            type: 'interactive',
            interactive: {
              type: 'list',
              body: 'Pick',
              list: {
                button: 'Open',
                sections: [
                  { rows: Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, title: `Row ${i}` })) },
                ],
              },
            },
          },
          'interactive.list.sections',
        ],
      ];
      for (const [body, field] of cases) {
        const r = await t.call('POST', '/v1/messages', { key: w.test, body });
        assert.equal(
          r.status,
          400,
          `${JSON.stringify(body).slice(0, 80)}: ${r.status} ${r.text.slice(0, 200)}`,
        );
        assert.equal(r.body.error.code, 'validation_failed');
        assert.ok(
          r.body.error.errors.some((e: { field: string }) => e.field === field),
          `expected field ${field} in ${JSON.stringify(r.body.error.errors)}`,
        );
      }
      const ok = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: {
          to: '+919800000009',
          type: 'interactive',
          interactive: {
            type: 'button',
            body: 'Pick',
            buttons: [
              { id: 'a', title: 'Yes' },
              { id: 'b', title: 'No' },
            ],
          },
        },
      });
      assert.equal(ok.status, 201, ok.text);
      assert.equal(await count(t, 'messages', w.id), before + 1);
      assert.equal(await count(t, 'contacts', w.id), contactsBefore, 'the contact wrote in first');
    });

    it('infers type from the one content field given; several without type is a 400 naming them', async () => {
      await openWindow(t, w.test, '+919800000101');
      const text = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919800000101', text: 'no type needed' },
      });
      assert.equal(text.status, 201, text.text);
      assert.equal(text.body.type, 'text');
      assert.equal(text.body.text, 'no type needed');
      const image = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: {
          to: '+919800000101',
          channel: 'sms',
          image: { url: 'https://x.test/a.jpg', caption: 'Menu' },
        },
      });
      assert.equal(image.status, 201, image.text);
      assert.equal(image.body.type, 'image');
      assert.equal(image.body.media.url, 'https://x.test/a.jpg');
      const before = await count(t, 'messages', w.id);
      const both = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919800000101', text: 'x', image: { url: 'https://x.test/a.jpg' } },
      });
      assert.equal(both.status, 400, both.text);
      assert.equal(both.body.error.errors[0].field, 'type');
      assert.match(both.body.error.message, /text, image/);
      const none = await t.call('POST', '/v1/messages', { key: w.test, body: { to: '+919800000101' } });
      assert.equal(none.status, 400, none.text);
      assert.equal(none.body.error.errors[0].field, 'type');
      // An explicit type still refuses content of another type.
      const mismatch = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919800000101', type: 'image', text: 'x' },
      });
      assert.equal(mismatch.status, 400);
      assert.deepEqual(mismatch.body.error.errors.map((e: { field: string }) => e.field).sort(), [
        'image',
        'text',
      ]);
      assert.equal(await count(t, 'messages', w.id), before, 'refusals write nothing');
    });

    it('voice is not a messaging channel, and live mode without a channel is channel_not_configured', async () => {
      const v = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919800000001', type: 'text', text: 'x', channel: 'voice' },
      });
      assert.equal(v.status, 422);
      assert.equal(v.body.error.code, 'channel_not_configured');
      assert.match(v.body.error.message, /not available as a messaging channel in this version/);
      assert.doesNotMatch(v.body.error.message, /\/v1\/calls/, 'no route that does not exist');
      const live = await t.call('POST', '/v1/messages', {
        key: other.live,
        body: { to: '+919800000001', type: 'text', text: 'x' },
      });
      assert.equal(live.status, 422);
      assert.equal(live.body.error.code, 'channel_not_configured');
      assert.equal(await count(t, 'contacts', other.id), 0, 'nothing half-written');
    });

    it('sees a channel disabled, enabled again or deleted at the next send (sending channels are remembered)', async () => {
      const address = '+14155550177';
      const ch = await t.call('POST', '/v1/channels', {
        key: w.test,
        body: { type: 'sms', provider: 'sandbox', address },
      });
      assert.equal(ch.status, 201, ch.text);
      const send = () =>
        t.call('POST', '/v1/messages', {
          key: w.test,
          body: { to: '+919800000177', type: 'text', text: 'x', channel: 'sms', from: address },
        });
      assert.equal((await send()).status, 201);
      const patch = (status: string) =>
        t.call('PATCH', `/v1/channels/${ch.body.id}`, { key: w.test, body: { status } });
      assert.equal((await patch('disabled')).status, 200);
      const refused = await send();
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, 'channel_not_configured');
      assert.equal((await patch('active')).status, 200);
      assert.equal((await send()).status, 201);
      assert.equal((await t.call('DELETE', `/v1/channels/${ch.body.id}`, { key: w.test })).status, 200);
      assert.equal((await send()).body.error?.code, 'channel_not_configured');
    });

    it('refuses opted-out contacts, and do-not-disturb for business-initiated sends unless ignore_dnd', async () => {
      await openWindow(t, w.test, '+919811111111');
      const a = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919811111111', type: 'text', text: 'hi' },
      });
      assert.equal(a.status, 201, a.text);
      await t.ctx.db
        .updateTable('contacts')
        .set({ opted_out: 1 })
        .where('phone', '=', '+919811111111')
        .where('workspace_id', '=', w.id)
        .execute();
      const r = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919811111111', type: 'text', text: 'hi' },
      });
      assert.equal(r.status, 422);
      assert.equal(r.body.error.code, 'contact_opted_out');
      const tpl = await t.call('POST', '/v1/templates', {
        key: w.test,
        body: { name: 'dnd_offer', language: 'en', category: 'marketing', body: 'Our offer of the week.' },
      });
      assert.equal(tpl.status, 201, tpl.text);
      const offer = { type: 'template', template: { name: 'dnd_offer', language: 'en' } };
      const dndOnly = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919822222222', ...offer },
      });
      assert.equal(dndOnly.status, 201, dndOnly.text);
      await t.ctx.db
        .updateTable('contacts')
        .set({ dnd: 1 })
        .where('phone', '=', '+919822222222')
        .where('workspace_id', '=', w.id)
        .execute();
      // Outside the customer's window a send is business-initiated: refused on do-not-disturb...
      const blocked = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919822222222', ...offer },
      });
      assert.equal(blocked.status, 422);
      assert.equal(blocked.body.error.code, 'contact_opted_out');
      // ...unless ignore_dnd.
      const forced = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919822222222', ...offer, ignore_dnd: true },
      });
      assert.equal(forced.status, 201, forced.text);
      // Once the customer writes, answering is not business-initiated.
      await openWindow(t, w.test, '+919822222222');
      const reply = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919822222222', type: 'text', text: 'answering your question' },
      });
      assert.equal(reply.status, 201, reply.text);
      assert.ok(a.body.id);
    });

    it('concurrent sends are written together: one contact and thread per number, each refusal its own', async () => {
      const ws = await t.workspace();
      // Business-initiated sends to new numbers: a template (test mode enforces the 24-hour window).
      const tpl = await t.call('POST', '/v1/templates', {
        key: ws.test,
        body: { name: 'note', language: 'en', category: 'utility', body: 'to {{1}}' },
      });
      assert.equal(tpl.status, 201, tpl.text);
      const opted = '+919833333333';
      const note = (to: string) => ({
        to,
        type: 'template',
        template: { name: 'note', language: 'en', variables: [to] },
      });
      assert.equal((await t.call('POST', '/v1/messages', { key: ws.test, body: note(opted) })).status, 201);
      await t.ctx.db
        .updateTable('contacts')
        .set({ opted_out: 1 })
        .where('phone', '=', opted)
        .where('workspace_id', '=', ws.id)
        .execute();
      const repeated = '+919844444444';
      const distinct = Array.from({ length: 10 }, (_, i) => `+9198555555${String(i).padStart(2, '0')}`);
      const send = (key: string, to: string) => t.call('POST', '/v1/messages', { key, body: note(to) });
      const [same, many, refused, unconfigured] = await Promise.all([
        Promise.all(Array.from({ length: 10 }, () => send(ws.test, repeated))),
        Promise.all(distinct.map((to) => send(ws.test, to))),
        Promise.all(Array.from({ length: 5 }, () => send(ws.test, opted))),
        Promise.all(Array.from({ length: 5 }, (_, i) => send(ws.live, distinct[i]!))),
      ]);
      for (const r of [...same, ...many]) assert.equal(r.status, 201, r.text);
      for (const r of refused) assert.equal(r.body.error.code, 'contact_opted_out');
      for (const r of unconfigured) assert.equal(r.body.error.code, 'channel_not_configured');
      // The refused live sends made nothing; the repeated number has one contact and one thread.
      assert.equal(await count(t, 'contacts', ws.id), 12);
      assert.equal(await count(t, 'conversations', ws.id), 12);
      assert.equal(await count(t, 'messages', ws.id), 21);
      assert.equal(new Set(same.map((r) => r.body.conversation_id)).size, 1);
      assert.equal((await events(t, ws.id, 'contact.created')).length, 12);
      assert.equal((await events(t, ws.id, 'conversation.created')).length, 12);
      const thread = await t.call('GET', `/v1/conversations/${same[0]!.body.conversation_id}`, {
        key: ws.test,
      });
      assert.equal(thread.body.last_message, `to ${repeated}`);
      await eventually(async () => {
        const read = await t.ctx.db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('workspace_id', '=', ws.id)
          .where('status', '=', 'read')
          .executeTakeFirstOrThrow();
        assert.equal(Number(read.n), 21);
        return true;
      });
      assert.equal((await events(t, ws.id, 'message.sent')).length, 21);
      assert.equal((await events(t, ws.id, 'message.read')).length, 21);
    });

    it('hides other workspaces and modes (404)', async () => {
      await openWindow(t, w.test, '+919833333333');
      const r = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919833333333', type: 'text', text: 'hi' },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal((await t.call('GET', `/v1/messages/${r.body.id}`, { key: other.test })).status, 404);
      assert.equal((await t.call('GET', `/v1/messages/${r.body.id}`, { key: w.live })).status, 404);
      assert.equal(
        (await t.call('GET', `/v1/conversations/${r.body.conversation_id}`, { key: other.test })).status,
        404,
      );
      const reply = await t.call('POST', `/v1/conversations/${r.body.conversation_id}/reply`, {
        key: other.test,
        body: { text: 'x' },
      });
      assert.equal(reply.status, 404);
    });

    it('POST /v1/agents/{id}/messages: an unknown agent is 404', async () => {
      const r = await t.call('POST', '/v1/agents/agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D/messages', {
        key: w.test,
        body: { to: '+919800000001', type: 'text', text: 'x' },
      });
      assert.equal(r.status, 404);
    });
  });

  describe('templates', () => {
    it('approves at once in test mode, starts pending live, and checks approval and variables when sending', async () => {
      const created = await t.call('POST', '/v1/templates', {
        key: w.test,
        body: {
          name: 'appointment_reminder',
          language: 'en',
          category: 'utility',
          body: 'Hi {{1}}, see you {{2}}.',
        },
      });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.status, 'approved');
      assert.deepEqual(created.body.placeholders, ['1', '2']);
      const dup = await t.call('POST', '/v1/templates', {
        key: w.test,
        body: { name: 'appointment_reminder', language: 'en', category: 'utility', body: 'x' },
      });
      assert.equal(dup.status, 409);
      const live = await t.call('POST', '/v1/templates', {
        key: w.live,
        body: { name: 'appointment_reminder', language: 'en', category: 'utility', body: 'Hi {{1}}' },
      });
      assert.equal(live.body.status, 'pending');
      const mixed = await t.call('POST', '/v1/templates', {
        key: w.test,
        body: { name: 'mixed', language: 'en', category: 'utility', body: 'Hi {{1}} {{name}}' },
      });
      assert.equal(mixed.status, 400);

      const to = '+919844444444';
      const sent = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: {
          to,
          type: 'template',
          template: { name: 'appointment_reminder', language: 'en', variables: ['Ava', 'tomorrow'] },
        },
      });
      assert.equal(sent.status, 201, sent.text);
      assert.equal(sent.body.text, 'Hi Ava, see you tomorrow.');
      assert.deepEqual(sent.body.template, {
        name: 'appointment_reminder',
        language: 'en',
        variables: ['Ava', 'tomorrow'],
      });

      const missing = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to, type: 'template', template: { name: 'appointment_reminder', variables: ['Ava'] } },
      });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.errors[0].field, 'template.variables.2');
      const extra = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: {
          to,
          type: 'template',
          template: { name: 'appointment_reminder', variables: ['a', 'b', 'c'] },
        },
      });
      assert.equal(extra.status, 400);
      const unknown = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to, type: 'template', template: { name: 'nope', variables: [] } },
      });
      assert.equal(unknown.status, 422);
      assert.equal(unknown.body.error.code, 'template_not_approved');

      const rejected = await t.call('PATCH', `/v1/templates/${created.body.id}`, {
        key: w.test,
        body: { status: 'rejected' },
      });
      assert.equal(rejected.body.status, 'rejected');
      assert.equal((await events(t, w.id, 'template.status_updated', created.body.id)).length, 1);
      const refused = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to, type: 'template', template: { name: 'appointment_reminder', variables: ['a', 'b'] } },
      });
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, 'template_not_approved');
      const liveStatus = await t.call('PATCH', `/v1/templates/${live.body.id}`, {
        key: w.live,
        body: { status: 'approved' },
      });
      assert.equal(liveStatus.status, 400, 'live statuses come from the provider');
    });

    it('fills named placeholders from the variables given', async () => {
      await t.call('POST', '/v1/templates', {
        key: w.test,
        body: { name: 'named_one', language: 'en', category: 'marketing', body: 'Hello {{first_name}}!' },
      });
      const r = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: {
          to: '+919855555555',
          type: 'template',
          template: { name: 'named_one', variables: { first_name: 'Ravi' } },
        },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.text, 'Hello Ravi!');
    });
  });

  describe('the WhatsApp 24-hour window and inbound messages', () => {
    it('needs a customer message for free-form content; templates always pass; the window opens on inbound', async () => {
      const ch = await t.call('POST', '/v1/channels', {
        key: w.test,
        body: { type: 'whatsapp', provider: 'sandbox', address: '+14155550100' },
      });
      assert.equal(ch.status, 201, ch.text);
      const to = '+919866666666';
      const closed = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to, type: 'text', text: 'hi', from: '+14155550100' },
      });
      assert.equal(closed.status, 422);
      assert.equal(closed.body.error.code, 'whatsapp_outside_24h_window');
      assert.match(closed.body.error.message, /template/);
      await t.call('POST', '/v1/templates', {
        key: w.test,
        body: { name: 'hello_plain', language: 'en', category: 'utility', body: 'Hello!' },
      });
      const tpl = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to, type: 'template', template: { name: 'hello_plain' }, from: '+14155550100' },
      });
      assert.equal(tpl.status, 201, tpl.text);

      const inbound = await t.call('POST', '/v1/sandbox/inbound', {
        key: w.test,
        body: { from: to, text: 'Sunday ko open ho?', to: '+14155550100', name: 'Rahul' },
      });
      assert.equal(inbound.status, 200, inbound.text);
      assert.equal(inbound.body.stored, 1);
      assert.equal(inbound.body.conversation_id, tpl.body.conversation_id);
      const conv = await t.call('GET', `/v1/conversations/${tpl.body.conversation_id}`, { key: w.test });
      assert.ok(conv.body.window_expires_at > new Date(Date.now() + 23 * 3_600_000).toISOString());
      assert.equal(conv.body.last_message, 'Sunday ko open ho?');
      assert.equal((await events(t, w.id, 'message.received', inbound.body.message.id)).length, 1);
      const reply = await t.call('POST', `/v1/conversations/${tpl.body.conversation_id}/reply`, {
        key: w.test,
        body: { text: 'Haan ji, 10 se 7.' },
      });
      assert.equal(reply.status, 201, reply.text);
      const msgs = await t.call('GET', `/v1/conversations/${tpl.body.conversation_id}/messages`, {
        key: w.test,
      });
      assert.deepEqual(
        msgs.body.data.map((m: { direction: string }) => m.direction),
        ['outbound', 'inbound', 'outbound'],
      );
    });

    it("test mode's own sandbox WhatsApp channel enforces the window as live does, and says how to open it", async () => {
      const ws = await t.workspace();
      const to = '+919867676767';
      const refused = await t.call('POST', '/v1/messages', {
        key: ws.test,
        body: { to, type: 'text', text: 'Namaste!' },
      });
      assert.equal(refused.status, 422, refused.text);
      assert.equal(refused.body.error.code, 'whatsapp_outside_24h_window');
      // The message tells both ways out: a template, or (test mode) a simulated customer message.
      assert.match(refused.body.error.message, /"type": "template"/);
      assert.match(refused.body.error.message, /POST \/v1\/sandbox\/inbound \{"from": "\+919867676767"/);
      assert.equal(await count(t, 'messages', ws.id), 0, 'a refusal writes nothing');
      // Doing what it says opens the window; the free-form message then goes out.
      await openWindow(t, ws.test, to);
      const sent = await t.call('POST', '/v1/messages', {
        key: ws.test,
        body: { to, type: 'text', text: 'Namaste!' },
      });
      assert.equal(sent.status, 201, sent.text);
    });

    it('stores a provider message id once', async () => {
      const ch = await t.call('POST', '/v1/channels', {
        key: w.test,
        body: { type: 'whatsapp', provider: 'sandbox', address: '+14155550101' },
      });
      const channel = await loadChannelConfig(t.ctx, ch.body.id);
      const msg = {
        providerMessageId: 'wamid.TEST1',
        from: '+919877777777',
        type: 'text' as const,
        text: 'hello',
        timestamp: new Date(),
      };
      const first = await ingestInbound(t.ctx, channel, { messages: [msg], statuses: [], notices: [] });
      const second = await ingestInbound(t.ctx, channel, { messages: [msg], statuses: [], notices: [] });
      assert.deepEqual([first.stored, first.duplicates, second.stored, second.duplicates], [1, 0, 0, 1]);
    });

    it('a template notice updates the template status and emits template.status_updated', async () => {
      const tpl = await t.call('POST', '/v1/templates', {
        key: w.live,
        body: { name: 'live_notice', language: 'en', category: 'utility', body: 'Hi' },
      });
      const ch = await t.call('POST', '/v1/channels', {
        key: w.live,
        body: {
          type: 'sms',
          provider: 'twilio',
          address: '+14155550102',
          credentials: { account_sid: 'AC1', auth_token: 'tok' },
        },
      });
      const channel = await loadChannelConfig(t.ctx, ch.body.id);
      await ingestInbound(t.ctx, channel, {
        messages: [],
        statuses: [],
        notices: [
          { kind: 'template_status', templateName: 'live_notice', language: 'en', status: 'approved' },
        ],
      });
      const g = await t.call('GET', `/v1/templates/${tpl.body.id}`, { key: w.live });
      assert.equal(g.body.status, 'approved');
      assert.equal((await events(t, w.id, 'template.status_updated', tpl.body.id)).length, 1);
    });

    it('a live key cannot use the sandbox', async () => {
      const r = await t.call('POST', '/v1/sandbox/inbound', {
        key: w.live,
        body: { from: '+919800000001', text: 'hi' },
      });
      assert.equal(r.status, 403);
    });
  });

  describe('delivery through a live adapter', () => {
    before(async () => {
      const ch = await t.call('POST', '/v1/channels', {
        key: other.live,
        body: {
          type: 'sms',
          provider: 'twilio',
          address: '+14155550199',
          credentials: { account_sid: 'AC123', auth_token: 'secret-token' },
        },
      });
      assert.equal(ch.status, 201, ch.text);
      assert.deepEqual(ch.body.credential_fields, ['account_sid', 'auth_token']);
      assert.ok(!JSON.stringify(ch.body).includes('secret-token'));
    });

    it('retries retryable errors then sends; fails non-retryable ones at once with the code; pacing re-schedules', async () => {
      flakyFailures = 2;
      calls.length = 0;
      paced.clear();
      const flaky = await t.call('POST', '/v1/messages', {
        key: other.live,
        body: { to: '+14155550111', type: 'text', text: 'x', channel: 'sms' },
      });
      const dead = await t.call('POST', '/v1/messages', {
        key: other.live,
        body: { to: '+14155550122', type: 'text', text: 'x', channel: 'sms' },
      });
      const slow = await t.call('POST', '/v1/messages', {
        key: other.live,
        body: { to: '+14155550133', type: 'text', text: 'x', channel: 'sms' },
      });
      for (const r of [flaky, dead, slow]) assert.equal(r.status, 201, r.text);
      const get = (id: string) =>
        t.call('GET', `/v1/messages/${id}`, { key: other.live }).then((r) => r.body);
      const f = await eventually(
        async () => ((await get(flaky.body.id)).status === 'sent' ? get(flaky.body.id) : null),
        6000,
      );
      assert.equal(f.provider_message_id, `SM${flaky.body.id}`);
      assert.equal(calls.filter((c) => c === '+14155550111').length, 3);
      const d = await eventually(
        async () => ((await get(dead.body.id)).status === 'failed' ? get(dead.body.id) : null),
        3000,
      );
      assert.deepEqual(d.error, { code: 'sms_undeliverable', message: 'Unreachable handset (30003)' });
      assert.equal((await events(t, other.id, 'message.failed', dead.body.id)).length, 1);
      const s = await eventually(
        async () => ((await get(slow.body.id)).status === 'sent' ? get(slow.body.id) : null),
        3000,
      );
      assert.ok(s.sent_at);
      assert.equal(calls.filter((c) => c === '+14155550133').length, 1, 'a paced send is not an attempt');
      // Live messages are not advanced by the sandbox.
      assert.equal((await get(flaky.body.id)).delivered_at, null);
    });

    it('applies provider statuses forward only and counts unknown ones', async () => {
      const out = await t.call('POST', '/v1/messages', {
        key: other.live,
        body: { to: '+14155550144', type: 'text', text: 'x', channel: 'sms' },
      });
      const sent = await eventually(async () => {
        const g = await t.call('GET', `/v1/messages/${out.body.id}`, { key: other.live });
        return g.body.status === 'sent' ? g.body : null;
      });
      const channel = await loadChannelConfig(t.ctx, sent.channel_id);
      const now = Date.now();
      const res = await ingestInbound(t.ctx, channel, {
        messages: [],
        statuses: [
          { providerMessageId: sent.provider_message_id, status: 'read', timestamp: new Date(now) },
          { providerMessageId: sent.provider_message_id, status: 'delivered', timestamp: new Date(now + 1) },
          {
            providerMessageId: sent.provider_message_id,
            status: 'failed',
            timestamp: new Date(now + 2),
            error: { code: 'x', message: 'late' },
          },
          { providerMessageId: 'SM-unknown', status: 'delivered', timestamp: new Date(now) },
        ],
        notices: [],
      });
      assert.equal(res.statuses_applied, 1);
      assert.equal(res.statuses_ignored, 3);
      const g = await t.call('GET', `/v1/messages/${out.body.id}`, { key: other.live });
      assert.equal(g.body.status, 'read');
      assert.equal(g.body.error, null);
      assert.ok(g.body.delivered_at, 'read fills delivered_at');
      assert.equal((await events(t, other.id, 'message.read', out.body.id)).length, 1);
      // Read without delivered before it: it was delivered too, and message.delivered says so
      // once (the late `delivered` after it changes nothing).
      assert.equal((await events(t, other.id, 'message.delivered', out.body.id)).length, 1);
    });
  });
});
