import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerAdapter } from '../../src/modules/channels/adapters.ts';
import { type ChannelAdapter, ChannelSendError } from '../../src/modules/channels/channel-adapter.ts';
import { loadChannelConfig } from '../../src/modules/channels/channels.service.ts';
import { ingestInbound } from '../../src/modules/messaging/inbound.service.ts';
import { type Sender, sendMessage } from '../../src/modules/messaging/messaging.service.ts';
import type { Actor } from '../../src/platform/events.ts';
import { limitsFor } from '../../src/platform/limits.ts';
import {
  eventually,
  forEachStorage,
  openWindow,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

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

    it('counts text limits in characters as WhatsApp does: 4,096 emoji fit, 4,097 do not', async () => {
      await openWindow(t, w.test, '+919800000019');
      const fits = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919800000019', type: 'text', text: '😀'.repeat(4096) },
      });
      assert.equal(fits.status, 201, fits.text.slice(0, 300));
      const over = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: { to: '+919800000019', type: 'text', text: '😀'.repeat(4097) },
      });
      assert.equal(over.status, 400);
      assert.deepEqual(
        over.body.error.errors.map((e: { field: string }) => e.field),
        ['text'],
      );
      const caption = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: {
          to: '+919800000019',
          type: 'image',
          image: { url: 'https://x.test/a.jpg', caption: '🎉'.repeat(1024) },
        },
      });
      assert.equal(caption.status, 201, caption.text.slice(0, 300));
      const inbound = await t.call('POST', '/v1/sandbox/inbound', {
        key: w.test,
        body: { from: '+919800000019', text: '🙏'.repeat(4096) },
      });
      assert.equal(inbound.status, 200, inbound.text.slice(0, 300));
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

    it("an agent_id that names no agent of this workspace and mode (unknown, deleted, another's) is 404, and nothing is written", async () => {
      const gone = await t.call('POST', '/v1/agents', { key: w.test, body: { name: 'Gone' } });
      assert.equal((await t.call('DELETE', `/v1/agents/${gone.body.id}`, { key: w.test })).status, 200);
      const theirs = await t.call('POST', '/v1/agents', { key: other.test, body: { name: 'Theirs' } });
      const livemode = await t.call('POST', '/v1/agents', { key: w.live, body: { name: 'Live' } });
      const to = '+919800000077';
      for (const agentId of [
        'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
        gone.body.id,
        theirs.body.id,
        livemode.body.id,
      ]) {
        const r = await t.call('POST', '/v1/messages', {
          key: w.test,
          body: { to, type: 'template', template: { name: 'none' }, agent_id: agentId },
        });
        assert.equal(r.status, 404, `${agentId}: ${r.text}`);
        assert.equal(r.body.error.code, 'not_found');
        assert.match(r.body.error.message, new RegExp(agentId));
      }
      const written = await t.ctx.db
        .selectFrom('messages')
        .select('id')
        .where('to_address', '=', to)
        .execute();
      assert.deepEqual(written, []);
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

    it('template sends in a burst are written by the batch writer; each refusal is its own and writes nothing', async () => {
      const ws = await t.workspace();
      const template = async (body: Record<string, unknown>) => {
        const r = await t.call('POST', '/v1/templates', {
          key: ws.test,
          body: { language: 'en', category: 'marketing', ...body },
        });
        assert.equal(r.status, 201, r.text);
        return r.body;
      };
      await template({
        name: 'burst_offer',
        header: { type: 'text', text: 'Our {{1}} is on!' },
        body: 'Hi {{1}}, use code {{2}}.',
        buttons: [{ type: 'url', text: 'Shop', url: 'https://shop.example/p?promo={{1}}' }],
      });
      await template({
        name: 'burst_invoice',
        header: { type: 'document' },
        body: 'Your invoice {{1}}.',
        // Meta's own form of the field: a one-item list of handles.
        examples: { header_handle: ['4::aW52b2ljZQ=='] },
      });
      const rejected = await template({ name: 'burst_paused', body: 'Paused {{1}}' });
      const patched = await t.call('PATCH', `/v1/templates/${rejected.id}`, {
        key: ws.test,
        body: { status: 'rejected' },
      });
      assert.equal(patched.body.status, 'rejected', patched.text);
      const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Burst desk' } });
      assert.equal(agent.status, 201, agent.text);

      const number = (group: number, i: number) => `+9197${group}0000${String(i).padStart(3, '0')}`;
      const offer = (to: string, i: number, extra: Record<string, unknown> = {}) => ({
        to,
        type: 'template',
        template: {
          name: 'burst_offer',
          variables: [`c${i}`, `CODE${i}`],
          header: { variables: [`Sale ${i}`] },
          buttons: [{ index: 0, variables: [`p${i}`] }],
          ...extra,
        },
      });
      const post = (body: unknown, path = '/v1/messages') => t.call('POST', path, { key: ws.test, body });
      const offers = Array.from({ length: 12 }, (_, i) => number(1, i));
      const invoices = Array.from({ length: 3 }, (_, i) => number(2, i));
      const agentSends = Array.from({ length: 3 }, (_, i) => number(3, i));
      const refused = Array.from({ length: 10 }, (_, i) => number(4, i));
      // The batch writer's counters, read as numbers (prom-client hands out its live objects).
      const counters = async () => ({
        batched:
          (await t.ctx.metrics.sendWrites.get()).values.find((v) => v.labels.path === 'batched')?.value ?? 0,
        commits: (await t.ctx.metrics.sendBatches.get()).values[0]?.value ?? 0,
      });
      const before = await counters();
      const [accepted, repeated, invoiced, agentSent, refusals] = await Promise.all([
        Promise.all(offers.map((to, i) => post(offer(to, i)))),
        Promise.all([1, 2, 3].map((i) => post(offer(offers[0]!, 100 + i)))),
        Promise.all(
          invoices.map((to, i) =>
            post({
              to,
              template: {
                name: 'burst_invoice',
                variables: [`INV-${i}`],
                header: { media: { url: `https://files.example/inv-${i}.pdf`, filename: `inv-${i}.pdf` } },
              },
            }),
          ),
        ),
        Promise.all(
          agentSends.map((to, i) => post(offer(to, 200 + i), `/v1/agents/${agent.body.id}/messages`)),
        ),
        Promise.all([
          post({ to: refused[0], template: { name: 'burst_paused', variables: ['x'] } }),
          post({ to: refused[1], template: { name: 'burst_paused', variables: ['y'] } }),
          post({ to: refused[2], template: { name: 'nope', variables: [] } }),
          post({ to: refused[3], template: { name: 'burst_offer', variables: ['a', 'b'] } }),
          post(offer(refused[4]!, 4, { buttons: [{ index: 3, variables: ['x'] }] })),
          post({ to: refused[5], template: { name: 'burst_invoice', variables: ['INV-5'] } }),
          post(offer(refused[6]!, 6, { header: { media: { url: 'https://files.example/x.png' } } })),
          post({ to: refused[7], type: 'text', text: 'free text outside the window' }),
          // A refused send to a number that another send of the burst reaches does not stop that one.
          post({ to: offers[1], template: { name: 'burst_paused', variables: ['z'] } }),
          post(offer(offers[2]!, 2, { variables: ['only one'] })),
        ]),
      ]);
      const ok = [...accepted, ...repeated, ...invoiced, ...agentSent];
      for (const r of ok) assert.equal(r.status, 201, r.text);
      const codes = refusals.map((r) => [r.status, r.body.error?.code]);
      assert.deepEqual(codes, [
        [422, 'template_not_approved'],
        [422, 'template_not_approved'],
        [422, 'template_not_approved'],
        [400, 'validation_failed'],
        [400, 'validation_failed'],
        [400, 'validation_failed'],
        [400, 'validation_failed'],
        [422, 'whatsapp_outside_24h_window'],
        [422, 'template_not_approved'],
        [400, 'validation_failed'],
      ]);
      const fields = (r: (typeof refusals)[number]) =>
        r.body.error.errors.map((e: { field: string }) => e.field);
      assert.deepEqual(fields(refusals[3]!), [
        'template.header.variables.1',
        'template.buttons.0.variables.1',
      ]);
      assert.deepEqual(fields(refusals[4]!), ['template.buttons.0.variables.1', 'template.buttons.0.index']);
      assert.deepEqual(fields(refusals[5]!), ['template.header.media.url']);
      assert.deepEqual(fields(refusals[6]!), ['template.header.media']);
      assert.deepEqual(fields(refusals[9]!), ['template.variables.2']);

      // Every accepted send went through the batch writer; the refused ones wrote nothing.
      const after = await counters();
      const batched = after.batched - before.batched;
      const commits = after.commits - before.commits;
      assert.equal(batched, ok.length);
      assert.ok(commits >= 1 && commits <= ok.length, `${commits} batch commits`);
      const numbers = [...offers, ...invoices, ...agentSends];
      assert.equal(await count(t, 'contacts', ws.id), numbers.length);
      assert.equal(await count(t, 'conversations', ws.id), numbers.length);
      assert.equal(await count(t, 'messages', ws.id), ok.length);
      assert.equal((await events(t, ws.id, 'contact.created')).length, numbers.length);
      assert.equal((await events(t, ws.id, 'conversation.created')).length, numbers.length);
      const threads = new Map<string, string>();
      for (const r of ok) {
        const known = threads.get(r.body.to);
        if (known) assert.equal(r.body.conversation_id, known, r.body.to);
        else threads.set(r.body.to, r.body.conversation_id);
      }
      assert.deepEqual([...threads.keys()].sort(), [...numbers].sort());

      // Each message carries its own rendered template: body, header and button values, header file.
      const stored = async (id: string) =>
        JSON.parse(
          (
            await t.ctx.db
              .selectFrom('messages')
              .select('template')
              .where('id', '=', id)
              .executeTakeFirstOrThrow()
          ).template!,
        );
      for (const [i, r] of accepted.entries()) {
        assert.equal(r.body.text, `Hi c${i}, use code CODE${i}.`);
        assert.deepEqual(r.body.template, {
          name: 'burst_offer',
          language: 'en',
          variables: [`c${i}`, `CODE${i}`],
        });
        const tpl = await stored(r.body.id);
        assert.deepEqual(tpl.header_values, [`Sale ${i}`]);
        assert.deepEqual(tpl.buttons, [{ index: 0, sub_type: 'url', value: `p${i}` }]);
      }
      for (const [i, r] of repeated.entries())
        assert.equal(r.body.text, `Hi c${101 + i}, use code CODE${101 + i}.`);
      for (const [i, r] of invoiced.entries()) {
        assert.equal(r.body.text, `Your invoice INV-${i}.`);
        assert.deepEqual((await stored(r.body.id)).header_media, {
          type: 'document',
          url: `https://files.example/inv-${i}.pdf`,
          filename: `inv-${i}.pdf`,
        });
      }
      // Sends through an agent open their threads bound to it.
      for (const r of agentSent) {
        const conv = await t.call('GET', `/v1/conversations/${r.body.conversation_id}`, { key: ws.test });
        assert.equal(conv.body.agent_id, agent.body.id, conv.text);
      }
      // The drain sends them all.
      await eventually(async () => {
        const sent = await t.ctx.db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('workspace_id', '=', ws.id)
          .where('status', 'in', ['sent', 'delivered', 'read'])
          .executeTakeFirstOrThrow();
        return Number(sent.n) === ok.length;
      });
      assert.equal((await events(t, ws.id, 'message.sent')).length, ok.length);
    });

    it('batched sends merge dynamic_variables and identifier into the thread in order, and named templates read them', async () => {
      const ws = await t.workspace();
      const tpl = await t.call('POST', '/v1/templates', {
        key: ws.test,
        body: {
          name: 'plan_note',
          language: 'en',
          category: 'utility',
          body: 'Hi {{first_name}}, plan {{plan}}',
        },
      });
      assert.equal(tpl.status, 201, tpl.text);
      const batched = async () =>
        (await t.ctx.metrics.sendWrites.get()).values.find((v) => v.labels.path === 'batched')?.value ?? 0;
      const before = await batched();
      const open = (to: string, item: Record<string, unknown>) =>
        t.call('POST', '/v1/conversations', {
          key: ws.test,
          body: { conversations: [{ channel: 'whatsapp', to, template: { name: 'plan_note' }, ...item }] },
        });
      // A new thread takes its first send's context; a later send to it merges its own in.
      const first = await open('+919877700001', {
        dynamic_variables: { first_name: 'Ava', plan: 'basic' },
        identifier: 'crm-1',
      });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.results[0].message.text, 'Hi Ava, plan basic');
      const second = await open('+919877700001', { dynamic_variables: { plan: 'gold' } });
      assert.equal(second.status, 200, second.text);
      const [result] = second.body.results;
      assert.equal(result.message.text, 'Hi Ava, plan gold');
      assert.equal(result.conversation.id, first.body.results[0].conversation.id);
      assert.deepEqual(result.conversation.dynamic_variables, { first_name: 'Ava', plan: 'gold' });
      assert.equal(result.conversation.identifier, 'crm-1');
      // Sends at once to one new number: whichever batch or order, the thread has every key.
      const burst = await Promise.all([
        open('+919877700002', { dynamic_variables: { first_name: 'Ravi', plan: 'x' } }),
        open('+919877700002', { dynamic_variables: { first_name: 'Ravi', plan: 'x', city: 'Pune' } }),
        open('+919877700002', {
          dynamic_variables: { first_name: 'Ravi', plan: 'x', tier: 2 },
          identifier: 'crm-2',
        }),
      ]);
      for (const r of burst) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.results[0].message.text, 'Hi Ravi, plan x');
      }
      const thread = await t.call('GET', `/v1/conversations/${burst[0]!.body.results[0].conversation.id}`, {
        key: ws.test,
      });
      assert.deepEqual(thread.body.dynamic_variables, {
        first_name: 'Ravi',
        plan: 'x',
        city: 'Pune',
        tier: 2,
      });
      assert.equal(thread.body.identifier, 'crm-2');
      assert.equal(await count(t, 'conversations', ws.id), 2);
      assert.equal((await batched()) - before, 5);
    });

    it("batched sends keep the single path's thread rules: an AI send marks the thread AI-handled, a person's ends a wait", async () => {
      const ws = await t.workspace();
      const tpl = await t.call('POST', '/v1/templates', {
        key: ws.test,
        body: { name: 'flow_note', language: 'en', category: 'utility', body: 'Note {{1}}' },
      });
      assert.equal(tpl.status, 201, tpl.text);
      const waiting = '+919866600001';
      const fresh = '+919866600002';
      const conversationId = await openWindow(t, ws.test, waiting);
      const since = new Date().toISOString();
      const waits = await t.ctx.db
        .updateTable('conversations')
        .set({ waiting_since: since })
        .where('id', '=', conversationId)
        .where('ai_handled', '=', 0)
        .executeTakeFirstOrThrow();
      assert.equal(Number(waits.numUpdatedRows), 1, 'a thread the AI has not written in, waiting');
      const sender = (actor: Actor): Sender => ({
        workspaceId: ws.id,
        livemode: false,
        defaultCountry: 'IN',
        actor,
        limits: limitsFor('starter', null),
      });
      const ai = sender({ type: 'ai', id: null });
      const person = sender({ type: 'api_key', id: 'key_test' });
      const note = (to: string, n: number) => ({
        to,
        type: 'template' as const,
        template: { name: 'flow_note', variables: [String(n)] },
      });
      const batched = async () =>
        (await t.ctx.metrics.sendWrites.get()).values.find((v) => v.labels.path === 'batched')?.value ?? 0;
      const before = await batched();
      // The person's send first, the AI's after it: whichever is a batch's last, both rules hold.
      const sent = await Promise.all([
        sendMessage(t.ctx, person, note(waiting, 1)),
        ...[2, 3, 4].map((n) => sendMessage(t.ctx, ai, note(waiting, n))),
        sendMessage(t.ctx, ai, note(fresh, 5)),
      ]);
      assert.equal((await batched()) - before, sent.length);
      const thread = async (id: string) =>
        t.ctx.db
          .selectFrom('conversations')
          .select(['ai_handled', 'waiting_since', 'last_message'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
      const existing = await thread(conversationId);
      assert.equal(existing.ai_handled, 1);
      assert.equal(existing.waiting_since, null);
      assert.equal((await thread(sent[4]!.conversation_id)).ai_handled, 1);
      for (const m of sent.slice(0, 4)) assert.equal(m.conversation_id, conversationId);
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

    it('a sender that is no address is refused with one message, the same in the summary and the field', async () => {
      const r = await t.call('POST', '/v1/sandbox/inbound', {
        key: w.test,
        body: { from: 'notaphone', text: 'hi' },
      });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.code, 'validation_failed');
      const [field] = r.body.error.errors;
      assert.equal(field.field, 'from');
      assert.match(field.message, /valid phone number/);
      assert.equal(r.body.error.message, `from: ${field.message}`);
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
