import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { signMetaPayload } from '../../src/modules/channels/whatsapp/meta-protocol.ts';
import { FakeMetaGraph, type FakeNumber, messagesPayload, textMessage } from '../fakes/meta-graph.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

// A new customer's first messages can arrive at once (a burst typed before the first one is
// stored): each request races the others to make the contact and the conversation, and in the
// sandbox to make and bind the test channel. None of that may fail or split the thread.
const CONTACTS = 20;
const PER_CONTACT = 4;

let seq = 0;
const newPhone = () =>
  `+9197${String(10_000_000 + ++seq * 7919 + Math.floor(Math.random() * 5000)).padStart(8, '0')}`;

forEachStorage('concurrent first inbound messages from new contacts', (storage) => {
  let t: TestApp;
  let fake: FakeMetaGraph;
  let number: FakeNumber;

  before(async () => {
    fake = new FakeMetaGraph('v21.0');
    await fake.start();
    t = await startTestApp(storage, {
      env: {
        PARLEY_META_GRAPH_URL: fake.url,
        PARLEY_META_GRAPH_VERSION: 'v21.0',
        // An internal error here is the bug this file looks for: keep its log.
        PARLEY_LOG_LEVEL: process.env.PARLEY_TEST_LOG_LEVEL ?? 'silent',
      },
      modules: providerTestModules(),
    });
    number = fake.addNumber({ displayPhoneNumber: '14155550177' });
  });
  after(async () => {
    await fake?.settled();
    await t?.close();
    await fake?.stop();
  });

  /** Per contact: one contact, one conversation on the channel, every text stored in it. */
  const assertThreads = async (ws: Workspace, livemode: boolean, sent: Map<string, string[]>) => {
    for (const [phone, texts] of sent) {
      const contacts = await t.ctx.db
        .selectFrom('contacts')
        .select('id')
        .where('workspace_id', '=', ws.id)
        .where('livemode', '=', livemode ? 1 : 0)
        .where('phone', '=', phone)
        .execute();
      assert.equal(contacts.length, 1, `one contact for ${phone}`);
      const convs = await t.ctx.db
        .selectFrom('conversations')
        .select(['id', 'channel_id'])
        .where('contact_id', '=', contacts[0]!.id)
        .execute();
      assert.equal(convs.length, 1, `one conversation for ${phone}: ${JSON.stringify(convs)}`);
      const stored = await t.ctx.db
        .selectFrom('messages')
        .select('text')
        .where('conversation_id', '=', convs[0]!.id)
        .where('direction', '=', 'inbound')
        .execute();
      assert.deepEqual(stored.map((m) => m.text).sort(), [...texts].sort(), `every message of ${phone}`);
    }
  };

  const burst = (contacts: number) => {
    const sent = new Map<string, string[]>();
    for (let c = 0; c < contacts; c++) {
      const phone = newPhone();
      sent.set(
        phone,
        Array.from({ length: PER_CONTACT }, (_, i) => `message ${i} from ${phone}`),
      );
    }
    return sent;
  };

  for (const agents of [1, 2]) {
    it(`sandbox: ${CONTACTS} new contacts x ${PER_CONTACT} messages at once, no 5xx, one thread each (${agents} agent${agents > 1 ? 's' : ''})`, async () => {
      const ws = await t.workspace();
      const phones: string[] = [];
      for (let a = 0; a < agents; a++) {
        const phone = `+9180${String(40_000_000 + seq++).padStart(8, '0')}`;
        phones.push(phone);
        const agent = await t.call('POST', '/v1/agents', {
          key: ws.test,
          body: { name: `Desk ${a}`, phone_number: phone },
        });
        assert.equal(agent.status, 201, agent.text);
      }
      const sent = burst(CONTACTS);
      // With two agents, the second is addressed by its number: the first message binds the
      // default sandbox channel to the first agent and the others race to make the second's own.
      const results = await Promise.all(
        [...sent].flatMap(([from, texts]) =>
          texts.map((text, i) =>
            t.call('POST', '/v1/sandbox/inbound', {
              key: ws.test,
              body: { from, text, ...(agents > 1 && i % 2 === 0 ? { to: phones[1] } : {}) },
            }),
          ),
        ),
      );
      const failed = results.filter((r) => r.status >= 300);
      assert.deepEqual(
        failed.map((r) => `${r.status} ${r.text}`),
        [],
        'every sandbox inbound is accepted',
      );
      if (agents === 1) {
        await assertThreads(ws, false, sent);
        const channels = await t.ctx.db
          .selectFrom('channels')
          .select(['id', 'agent_id'])
          .where('workspace_id', '=', ws.id)
          .execute();
        assert.equal(channels.length, 1, `one sandbox channel: ${JSON.stringify(channels)}`);
      } else {
        // Two channels (one per agent): per contact one conversation on each, all messages kept.
        const channels = await t.ctx.db
          .selectFrom('channels')
          .select(['id', 'agent_id'])
          .where('workspace_id', '=', ws.id)
          .execute();
        assert.equal(channels.length, 2, `a sandbox channel per agent: ${JSON.stringify(channels)}`);
        assert.notEqual(channels[0]!.agent_id, channels[1]!.agent_id);
        for (const [phone, texts] of sent) {
          const contacts = await t.ctx.db
            .selectFrom('contacts')
            .select('id')
            .where('workspace_id', '=', ws.id)
            .where('phone', '=', phone)
            .execute();
          assert.equal(contacts.length, 1, `one contact for ${phone}`);
          const convs = await t.ctx.db
            .selectFrom('conversations')
            .select('id')
            .where('contact_id', '=', contacts[0]!.id)
            .execute();
          assert.equal(convs.length, 2, `one conversation per channel for ${phone}`);
          const stored = await t.ctx.db
            .selectFrom('messages')
            .select('text')
            .where(
              'conversation_id',
              'in',
              convs.map((c) => c.id),
            )
            .where('direction', '=', 'inbound')
            .execute();
          assert.deepEqual(stored.map((m) => m.text).sort(), [...texts].sort(), `every message of ${phone}`);
        }
      }
    });
  }

  it(`WhatsApp webhook: ${CONTACTS} new contacts x ${PER_CONTACT} messages in concurrent deliveries, one thread each`, async () => {
    const ws = await t.workspace();
    const res = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'whatsapp',
        provider: 'meta',
        address: '+14155550177',
        credentials: {
          phone_number_id: number.phoneNumberId,
          business_account_id: number.businessAccountId,
          access_token: number.accessToken,
          app_secret: number.appSecret,
          verify_token: 'verify-me',
        },
      },
    });
    assert.equal(res.status, 201, res.text);
    const channelId = res.body.id as string;
    const sent = burst(CONTACTS);
    // One delivery per message (Meta sends each on its own), all at once.
    const results = await Promise.all(
      [...sent].flatMap(([from, texts]) =>
        texts.map((text) => {
          const raw = JSON.stringify(messagesPayload(number, [textMessage(from, text)], 'New Customer'));
          return t.call('POST', `/hooks/whatsapp/${channelId}`, {
            payload: raw,
            headers: {
              'content-type': 'application/json',
              'x-hub-signature-256': signMetaPayload(raw, number.appSecret),
            },
          });
        }),
      ),
    );
    assert.deepEqual(
      results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`),
      [],
      'every delivery acknowledged',
    );
    // Deliveries are processed after the acknowledgement: wait for all of them to be stored.
    await eventually(async () => {
      const n = await t.ctx.db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('channel_id', '=', channelId)
        .where('direction', '=', 'inbound')
        .executeTakeFirstOrThrow();
      return Number(n.n) >= CONTACTS * PER_CONTACT ? true : null;
    }, 30_000);
    const inbound = await t.ctx.db
      .selectFrom('provider_inbound')
      .selectAll()
      .where('channel_id', '=', channelId)
      .execute();
    assert.equal(inbound.length, CONTACTS * PER_CONTACT, 'every delivery recorded');
    await assertThreads(ws, true, sent);
  });
});
