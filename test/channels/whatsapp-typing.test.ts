import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { textMessage } from '../fakes/meta-graph.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';
import { eventually, forEachStorage } from '../support/harness.ts';
import { startWhatsAppApp, type WhatsAppApp } from '../support/whatsapp-app.ts';

/**
 * Issue 60: while the business's own model writes a reply (streamed, sent once complete), the
 * WhatsApp customer sees "typing…": the Cloud API's typing indicator on the message being answered
 * (it marks that message read), asked before the reply goes out. A built-in agent answers at once
 * and asks for none; a refused indicator never stops the reply.
 */
forEachStorage('WhatsApp typing indicator while the LLM writes', (storage) => {
  let a: WhatsAppApp;
  let llm: FakeLlm;
  let agentId: string;
  before(async () => {
    [a, llm] = await Promise.all([startWhatsAppApp(storage), startFakeLlm()]);
    const agent = await a.t.call('POST', '/v1/agents', {
      key: a.ws.live,
      body: {
        name: 'Own model',
        model: { provider: 'openai_compatible', name: 'llama3', base_url: llm.url, api_key: 'sk-local' },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
  });
  after(async () => {
    await a?.close();
    await llm?.close();
  });

  const customerWrites = async (from: string, text: string) => {
    const message = textMessage(from, text);
    await a.postMeta(
      a.envelope({ contacts: [{ profile: { name: 'Kerry' }, wa_id: from }], messages: [message] }),
    );
    return message.id as string;
  };
  const replyTo = (from: string, text: string) =>
    eventually(async () =>
      a.meta.sends(a.number.phoneNumberId).find((s) => s.body.to === from && s.body.text?.body === text),
    );

  it('shows the typing indicator on the message being answered, before the reply', async () => {
    llm.script.push(say('We open at 9 tomorrow.'));
    const from = '16505550101';
    const wamid = await customerWrites(from, 'when do you open tomorrow?');
    const reply = await replyTo(from, 'We open at 9 tomorrow.');
    const typing = a.meta.reads(a.number.phoneNumberId).find((r) => r.body.message_id === wamid);
    assert.ok(typing, 'a typing indicator on the customer message');
    assert.deepEqual(typing.body, {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: wamid,
      typing_indicator: { type: 'text' },
    });
    assert.equal(typing.headers.authorization, `Bearer ${a.number.accessToken}`);
    assert.ok(typing.at <= reply.at, 'asked before the reply went out');
  });

  it('a refused indicator is only logged: the reply still goes out', async () => {
    // The next request to /messages (the indicator) answers an error; the reply's send is normal.
    a.meta.script.push({ kind: 'error', status: 400, code: 100, message: '(#100) typing refused' });
    llm.script.push(say('Yes, we deliver to Pune.'));
    const from = '16505550102';
    const wamid = await customerWrites(from, 'do you deliver to pune?');
    await replyTo(from, 'Yes, we deliver to Pune.');
    assert.ok(a.meta.reads(a.number.phoneNumberId).some((r) => r.body.message_id === wamid));
    // The reply was accepted by Meta (the refusal went to the indicator, asked first).
    const conv = (await a.t.call('GET', '/v1/conversations', { key: a.ws.live })).body.data.find(
      (c: { contact: { phone: string } }) => c.contact.phone === `+${from}`,
    );
    const sent = await eventually(async () => {
      const m = await a.t.call('GET', `/v1/conversations/${conv.id}/messages`, { key: a.ws.live });
      return m.body.data.find(
        (x: { direction: string; status: string }) => x.direction === 'outbound' && x.status === 'sent',
      );
    });
    assert.equal(sent.text, 'Yes, we deliver to Pune.');
  });

  it('a built-in agent answers at once and asks for no indicator', async () => {
    const r = await a.t.call('PATCH', `/v1/agents/${agentId}`, {
      key: a.ws.live,
      body: { model: { provider: 'builtin' } },
    });
    assert.equal(r.status, 200, r.text);
    const from = '16505550103';
    const wamid = await customerWrites(from, 'hello');
    await eventually(async () => a.meta.sends(a.number.phoneNumberId).find((s) => s.body.to === from));
    assert.equal(a.meta.reads(a.number.phoneNumberId).filter((x) => x.body.message_id === wamid).length, 0);
  });
});
