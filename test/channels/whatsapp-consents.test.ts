import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { eraseContactConsents } from '../../src/modules/contacts/index.ts';
import { statusPayload } from '../fakes/meta-graph.ts';
import { eventually, forEachStorage } from '../support/harness.ts';
import { startWhatsAppApp, type WhatsAppApp } from '../support/whatsapp-app.ts';

/**
 * The consent ledger on WhatsApp: Meta's `user_preferences` webhook (payload from Meta's
 * "user_preferences webhook reference"), error 131050 on a send and in a failed status (Meta's
 * error codes page: "Message failed to send because the user has stopped marketing messages from
 * your business"), opt keywords, and the API. Marketing templates skip a marketing-stopped
 * contact before Meta is asked; utility templates still go.
 */
forEachStorage('WhatsApp consent ledger', (storage) => {
  let a: WhatsAppApp;
  let seq = 0;
  const now = () => String(Math.floor(Date.now() / 1000));
  const call = (method: string, url: string, body?: unknown) =>
    a.t.call(method, url, { key: a.ws.live, ...(body === undefined ? {} : { body }) });
  const contactOf = async (phone: string) => {
    const res = await call('POST', '/v1/contacts', { phone, name: `Customer ${++seq}` });
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };
  const consents = async (id: string) => {
    const res = await call('GET', `/v1/contacts/${id}/consents`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const marketing = (body: any) =>
    body.data.find((c: any) => c.channel === 'whatsapp' && c.purpose === 'marketing');
  const sendTemplate = (to: string, name: string) =>
    call('POST', '/v1/messages', {
      to,
      type: 'template',
      template: { name, language: 'en_US', variables: ['Asha'] },
    });
  const approve = (name: string, category: 'marketing' | 'utility') => a.approveTemplate(name, category);
  /** Meta's user_preferences webhook for one user. */
  const preference = (waId: string, value: 'stop' | 'resume') =>
    a.envelope(
      {
        contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: waId }],
        user_preferences: [
          {
            wa_id: waId,
            detail:
              value === 'stop'
                ? 'User requested to stop marketing messages'
                : 'User requested to resume marketing messages',
            category: 'marketing_messages',
            value,
            timestamp: Number(now()),
          },
        ],
      },
      'user_preferences',
    );

  before(async () => {
    a = await startWhatsAppApp(storage);
    await approve('autumn_sale', 'marketing');
    await approve('order_update', 'utility');
  });
  after(async () => a?.close());

  it('user_preferences stop marks marketing only; marketing sends skip the contact before Meta is asked; resume lifts it', async () => {
    const id = await contactOf('+16505551401');
    await a.postMeta(preference('16505551401', 'stop'));
    await eventually(async () => marketing(await consents(id))?.status === 'revoked');
    const state = await consents(id);
    assert.equal(marketing(state).source, 'user_preferences');
    assert.equal(marketing(state).detail, 'User requested to stop marketing messages');
    const before = a.meta.sends(a.number.phoneNumberId).length;
    const refused = await sendTemplate('+16505551401', 'autumn_sale');
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.body.error.code, 'contact_opted_out');
    assert.equal(refused.body.error.reason, 'marketing_stopped');
    // A broadcast of the marketing template skips them too.
    const bc = await call('POST', '/v1/broadcasts', {
      name: 'Autumn',
      template: { name: 'autumn_sale', language: 'en_US' },
      contact_ids: [id],
      variables: { '1': 'Asha' },
    });
    assert.equal(bc.status, 202, bc.text);
    const done = await eventually(async () => {
      const b = (await call('GET', `/v1/broadcasts/${bc.body.id}`)).body;
      return b.status === 'completed' ? b : undefined;
    });
    assert.equal(done.counts.skipped, 1);
    assert.equal(a.meta.sends(a.number.phoneNumberId).length, before, 'Meta was not asked');
    // Utility messages still go; the contact is not opted out of everything.
    const utility = await sendTemplate('+16505551401', 'order_update');
    assert.equal(utility.status, 201, utility.text);
    assert.equal((await call('GET', `/v1/contacts/${id}`)).body.opted_out, false);
    await a.postMeta(preference('16505551401', 'resume'));
    await eventually(async () => marketing(await consents(id))?.status === 'granted');
    const again = await sendTemplate('+16505551401', 'autumn_sale');
    assert.equal(again.status, 201, again.text);
  });

  it('a user_preferences stop for an unknown number makes its contact, so the stop is kept', async () => {
    await a.postMeta(preference('16505551499', 'stop'));
    const id = await eventually(async () => {
      const list = await call('GET', `/v1/contacts?q=${encodeURIComponent('+16505551499')}`);
      return list.body.data?.[0]?.id as string | undefined;
    });
    assert.equal(marketing(await consents(id)).status, 'revoked');
  });

  it('Meta 131050 on a send stops marketing for the contact (not everything) and the next marketing send is refused', async () => {
    const id = await contactOf('+16505551402');
    a.meta.script.push({
      kind: 'error',
      status: 400,
      code: 131050,
      message:
        'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    });
    const first = await sendTemplate('+16505551402', 'autumn_sale');
    assert.equal(first.status, 201, first.text);
    const failed = await eventually(async () => {
      const m = (await call('GET', `/v1/messages/${first.body.id}`)).body;
      return m.status === 'failed' ? m : undefined;
    });
    assert.equal(failed.error.code, 'contact_opted_out');
    const state = await eventually(async () => {
      const s = await consents(id);
      return marketing(s)?.status === 'revoked' ? s : undefined;
    });
    assert.equal(marketing(state).source, 'provider_error');
    assert.equal(marketing(state).detail, '131050');
    assert.equal(state.data.length, 1, 'only marketing is stopped');
    const second = await sendTemplate('+16505551402', 'autumn_sale');
    assert.equal(second.status, 422);
    assert.equal((await sendTemplate('+16505551402', 'order_update')).status, 201);
  });

  it('Meta 131050 in a failed status webhook stops marketing too', async () => {
    const id = await contactOf('+16505551403');
    const sent = await sendTemplate('+16505551403', 'autumn_sale');
    assert.equal(sent.status, 201, sent.text);
    const wamid = await eventually(async () => {
      const m = (await call('GET', `/v1/messages/${sent.body.id}`)).body;
      return m.status === 'sent' ? (m.provider_message_id as string) : undefined;
    });
    await a.postMeta(
      statusPayload(a.number, wamid, '16505551403', 'failed', [
        {
          code: 131050,
          title:
            'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
          message:
            'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
          error_data: {
            details:
              'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
          },
        },
      ]),
    );
    await eventually(async () => marketing(await consents(id))?.status === 'revoked');
  });

  it('STOP and START keywords are kept in the ledger for every purpose', async () => {
    const waId = '16505551404';
    const write = async (text: string) => {
      const mid = `wamid.consent${++seq}${storage}`;
      await a.postMeta(
        a.envelope({
          contacts: [{ profile: { name: 'Kerry' }, wa_id: waId }],
          messages: [{ from: waId, id: mid, timestamp: now(), type: 'text', text: { body: text } }],
        }),
      );
      return eventually(() =>
        a.t.ctx.db
          .selectFrom('messages')
          .selectAll()
          .where('provider_message_id', '=', mid)
          .executeTakeFirst(),
      );
    };
    const row = await write('STOP');
    const id = row.sender_id!;
    const stopped = await consents(id);
    assert.deepEqual(
      stopped.data.map((c: any) => [c.purpose, c.status, c.source, c.detail]),
      [
        ['marketing', 'revoked', 'keyword', 'STOP'],
        ['service', 'revoked', 'keyword', 'STOP'],
        ['utility', 'revoked', 'keyword', 'STOP'],
      ],
    );
    await write('START');
    const started = await consents(id);
    assert.ok(started.data.every((c: any) => c.status === 'granted'));
    assert.equal(started.history.length, 6);
  });

  it('the API records a consent; bad input is a 400, another contact id a 404', async () => {
    const id = await contactOf('+16505551405');
    const res = await call('POST', `/v1/contacts/${id}/consents`, {
      channel: 'whatsapp',
      purpose: 'marketing',
      status: 'revoked',
      note: 'Asked by phone',
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(marketing(res.body).source, 'api');
    assert.equal(marketing(res.body).detail, 'Asked by phone');
    assert.equal((await sendTemplate('+16505551405', 'autumn_sale')).status, 422);
    const bad = await call('POST', `/v1/contacts/${id}/consents`, {
      channel: 'whatsapp',
      purpose: 'spam',
      status: 'revoked',
    });
    assert.equal(bad.status, 400);
    const missing = await call('GET', '/v1/contacts/ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D/consents');
    assert.equal(missing.status, 404);
  });

  it('erasure deletes the ledger and keeps only the fact that it was erased', async () => {
    const id = await contactOf('+16505551406');
    await call('POST', `/v1/contacts/${id}/consents`, {
      channel: 'whatsapp',
      purpose: 'marketing',
      status: 'revoked',
      note: 'private note',
    });
    const scope = { workspaceId: a.ws.id, livemode: true };
    await a.t.ctx.transaction((tx) => eraseContactConsents(tx, scope, id, new Date()));
    const after = await consents(id);
    assert.deepEqual(after.data, []);
    assert.equal(after.history.length, 1);
    assert.equal(after.history[0].status, 'erased');
    assert.equal(after.history[0].detail, null);
    assert.equal((await sendTemplate('+16505551406', 'autumn_sale')).status, 201);
  });
});
