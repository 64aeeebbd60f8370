import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { eventually, forEachStorage } from '../support/harness.ts';
import { startWhatsAppApp, type WhatsAppApp } from '../support/whatsapp-app.ts';

/**
 * Users who hide their number behind a username, as Meta's "Business-scoped user IDs" page and
 * public client libraries' fixtures send them (pywa's tests/data/updates/message.json: contacts[]
 * with user_id and parent_user_id; whatsapp-api-js's ServerMessage: `from` omitted,
 * `from_user_id`, `from_parent_user_id`; Meta's system messages reference: `user_changed_user_id`).
 * A lost inbound message is the worst defect: every shape here is stored and answered.
 */
forEachStorage('WhatsApp users without a phone number', (storage) => {
  let a: WhatsAppApp;
  let seq = 0;
  const wamid = () => `wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMy${++seq}${storage}`;
  const now = () => String(Math.floor(Date.now() / 1000));
  const byProviderId = (id: string) =>
    a.t.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', id).executeTakeFirst();
  const contactRow = (id: string) =>
    a.t.ctx.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  before(async () => {
    a = await startWhatsAppApp(storage);
  });
  after(async () => a?.close());

  it('stores a message with parent BSUIDs and no phone, and answers it with `recipient`', async () => {
    const id = wamid();
    // pywa's fixture shape with the phone withheld (Meta: wa_id and from omitted for username users).
    await a.postMeta(
      a.envelope({
        contacts: [
          {
            profile: { name: 'Test Name', username: '@testname' },
            user_id: 'US.13491208655302741918',
            parent_user_id: 'US.ENT.11815799212886844830',
          },
        ],
        messages: [
          {
            from_user_id: 'US.13491208655302741918',
            from_parent_user_id: 'US.ENT.11815799212886844830',
            id,
            timestamp: now(),
            text: { body: 'Body Text' },
            type: 'text',
          },
        ],
      }),
    );
    const row = await eventually(() => byProviderId(id));
    assert.equal(row.text, 'Body Text');
    assert.equal(row.from_address, 'US.13491208655302741918');
    const contact = await contactRow(row.sender_id!);
    assert.equal(contact.whatsapp_user_id, 'US.13491208655302741918');
    assert.equal(contact.phone, null);
    const reply = await a.t.call('POST', `/v1/conversations/${row.conversation_id}/reply`, {
      key: a.ws.live,
      body: { text: 'Thanks, we got it.' },
    });
    assert.equal(reply.status, 201, reply.text);
    const sent = await eventually(async () => a.meta.sends(a.number.phoneNumberId).at(-1));
    assert.equal(sent.body.recipient, 'US.13491208655302741918');
    assert.equal(sent.body.to, undefined);
  });

  it('keeps a message with no contacts[], no profile and no display number (BSUID only)', async () => {
    const id = wamid();
    const bsuid = 'GB.20000000000000000001';
    await a.postMeta({
      entry: [
        {
          changes: [
            {
              field: 'messages',
              value: {
                metadata: { phone_number_id: a.number.phoneNumberId },
                messages: [
                  { from_user_id: bsuid, id, timestamp: now(), type: 'text', text: { body: 'no phone' } },
                ],
              },
            },
          ],
        },
      ],
    });
    const row = await eventually(() => byProviderId(id));
    assert.equal(row.from_address, bsuid);
    assert.equal((await contactRow(row.sender_id!)).whatsapp_user_id, bsuid);
  });

  it('a sender named only in contacts[] (user_id, no wa_id, no from or from_user_id) is stored and answered by that id', async () => {
    const bsuid = 'IN.30000000000000000003';
    const first = wamid();
    const second = wamid();
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Meera', username: '@meera' }, user_id: bsuid }],
        messages: [
          { id: first, timestamp: now(), type: 'text', text: { body: 'Is the salon open today?' } },
          { from: '', id: second, timestamp: now(), type: 'text', text: { body: 'And tomorrow?' } },
        ],
      }),
    );
    const row = await eventually(() => byProviderId(first));
    assert.equal(row.from_address, bsuid);
    assert.equal((await eventually(() => byProviderId(second))).conversation_id, row.conversation_id);
    const contact = await contactRow(row.sender_id!);
    assert.equal(contact.whatsapp_user_id, bsuid);
    assert.equal(contact.name, 'Meera');
    const reply = await a.t.call('POST', `/v1/conversations/${row.conversation_id}/reply`, {
      key: a.ws.live,
      body: { text: 'Yes, 10 to 7.' },
    });
    assert.equal(reply.status, 201, reply.text);
    const sent = await eventually(async () => {
      const last = a.meta.sends(a.number.phoneNumberId).at(-1);
      return last?.body.recipient === bsuid ? last : undefined;
    });
    // Meta's rule: a BSUID goes in `recipient`, never in `to` (which takes phone numbers only).
    assert.equal(sent.body.to, undefined);
  });

  it('a BSUID written with lower case, `_` or `-` is still no phone: stored and answered with `recipient`', async () => {
    const id = wamid();
    const bsuid = 'de.Ab_cd-0123456789';
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Jonas' }, user_id: bsuid }],
        messages: [{ from_user_id: bsuid, id, timestamp: now(), type: 'text', text: { body: 'Hallo' } }],
      }),
    );
    const row = await eventually(() => byProviderId(id));
    assert.equal(row.from_address, bsuid);
    assert.equal((await contactRow(row.sender_id!)).phone, null);
    const reply = await a.t.call('POST', `/v1/conversations/${row.conversation_id}/reply`, {
      key: a.ws.live,
      body: { text: 'Hallo Jonas.' },
    });
    assert.equal(reply.status, 201, reply.text);
    const sent = await eventually(async () => {
      const last = a.meta.sends(a.number.phoneNumberId).at(-1);
      return last?.body.recipient === bsuid ? last : undefined;
    });
    assert.equal(sent.body.to, undefined);
  });

  it('a BSUID a relay put in `from` is not read as a phone', async () => {
    const id = wamid();
    const bsuid = 'BR.1502576394655843';
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Ana' }, user_id: bsuid }],
        messages: [{ from: bsuid, id, timestamp: now(), type: 'text', text: { body: 'oi' } }],
      }),
    );
    const row = await eventually(() => byProviderId(id));
    assert.equal(row.from_address, bsuid);
    const contact = await contactRow(row.sender_id!);
    assert.equal(contact.phone, null);
    assert.equal(contact.whatsapp_user_id, bsuid);
  });

  it('fills in the phone when Meta later shares it: same contact, same conversation, replies to the phone', async () => {
    const bsuid = 'US.30000000000000000003';
    const first = wamid();
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Pablo', username: '@pablo' }, user_id: bsuid }],
        messages: [{ from_user_id: bsuid, id: first, timestamp: now(), type: 'text', text: { body: 'one' } }],
      }),
    );
    const one = await eventually(() => byProviderId(first));
    assert.equal((await contactRow(one.sender_id!)).phone, null);
    const second = wamid();
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Pablo', username: '@pablo' }, wa_id: '16505551777', user_id: bsuid }],
        messages: [
          {
            from: '16505551777',
            from_user_id: bsuid,
            id: second,
            timestamp: now(),
            type: 'text',
            text: { body: 'two' },
          },
        ],
      }),
    );
    const two = await eventually(() => byProviderId(second));
    assert.equal(two.sender_id, one.sender_id);
    assert.equal(two.conversation_id, one.conversation_id);
    const contact = await contactRow(one.sender_id!);
    assert.equal(contact.phone, '+16505551777');
    assert.equal(contact.whatsapp_user_id, bsuid);
    const reply = await a.t.call('POST', `/v1/conversations/${one.conversation_id}/reply`, {
      key: a.ws.live,
      body: { text: 'Hello Pablo' },
    });
    assert.equal(reply.status, 201, reply.text);
    const sent = await eventually(async () =>
      a.meta.sends(a.number.phoneNumberId).find((r) => r.body.text?.body === 'Hello Pablo'),
    );
    assert.equal(sent.body.to, '16505551777');
  });

  it('follows user_changed_user_id: the contact takes the new BSUID and the thread follows it', async () => {
    const oldId = 'US.40000000000000000004';
    const newId = 'US.40000000000000000005';
    const first = wamid();
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Zoe', username: '@zoe' }, user_id: oldId }],
        messages: [{ from_user_id: oldId, id: first, timestamp: now(), type: 'text', text: { body: 'hi' } }],
      }),
    );
    const one = await eventually(() => byProviderId(first));
    // Meta's system messages reference: no contacts array; system.user_id is the new BSUID.
    const notice = wamid();
    await a.postMeta(
      a.envelope({
        messages: [
          {
            from_user_id: oldId,
            id: notice,
            timestamp: now(),
            type: 'system',
            system: { body: 'User Zoe changed their user ID', type: 'user_changed_user_id', user_id: newId },
          },
        ],
      }),
    );
    await eventually(() => byProviderId(notice));
    assert.equal((await contactRow(one.sender_id!)).whatsapp_user_id, newId);
    const later = wamid();
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Zoe', username: '@zoe' }, user_id: newId }],
        messages: [
          { from_user_id: newId, id: later, timestamp: now(), type: 'text', text: { body: 'again' } },
        ],
      }),
    );
    const three = await eventually(() => byProviderId(later));
    assert.equal(three.sender_id, one.sender_id);
    assert.equal(three.conversation_id, one.conversation_id);
    const reply = await a.t.call('POST', `/v1/conversations/${one.conversation_id}/reply`, {
      key: a.ws.live,
      body: { text: 'Hi Zoe' },
    });
    assert.equal(reply.status, 201, reply.text);
    const sent = await eventually(async () =>
      a.meta.sends(a.number.phoneNumberId).find((r) => r.body.text?.body === 'Hi Zoe'),
    );
    assert.equal(sent.body.recipient, newId);
  });
});
