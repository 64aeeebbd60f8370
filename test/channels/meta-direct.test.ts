import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { signMetaPayload } from '../../src/modules/channels/whatsapp/meta-protocol.ts';
import { runWindowHandoff } from '../../src/modules/conversations/routing/window-handoff.ts';
import { sendMessage } from '../../src/modules/messaging/messaging.service.ts';
import { ApiError } from '../../src/platform/errors.ts';
import { plans } from '../../src/platform/limits.ts';
import { type FakeAccount, FakeMetaSendApi } from '../fakes/meta-send-api.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

/**
 * Messenger and Instagram Direct (issue 49) against a local fake of Meta's Send API and signed
 * webhooks. The webhook payloads follow Meta's Messenger Platform reference ("messages",
 * "message_echoes", "message_reactions" webhook events) and the Instagram Messaging webhook
 * reference (story_mention attachments, `reply_to.story`, `is_deleted`, reactions).
 */
forEachStorage('Messenger and Instagram on Meta', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let graph: FakeMetaSendApi;
  let llm: FakeLlm;
  let page: FakeAccount;
  let ig: FakeAccount;
  let pageChannel: string;
  let igChannel: string;
  let seq = 0;
  const psid = () => `65${String(Date.now()).slice(-8)}${String(++seq).padStart(4, '0')}`;
  const mid = () => `m_${storage}_${++seq}_1fTq8oLumEyIp3Q2MR-aY7IfLZDamVrALniheU`;

  const channel = async (type: 'messenger' | 'instagram', account: FakeAccount, extra = {}) => {
    const r = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type,
        provider: 'meta',
        address: account.id,
        credentials: {
          [type === 'instagram' ? 'ig_user_id' : 'page_id']: account.id,
          access_token: account.accessToken,
          app_secret: account.appSecret,
          verify_token: 'verify-me',
        },
        ...extra,
      },
    });
    assert.equal(r.status, 201, r.text);
    assert.match(r.body.inbound_url, new RegExp(`/hooks/meta/${r.body.id}$`));
    return r.body.id as string;
  };

  before(async () => {
    graph = new FakeMetaSendApi('v21.0');
    await graph.start();
    llm = await startFakeLlm();
    t = await startTestApp(storage, {
      env: { PARLEY_META_GRAPH_URL: graph.url, PARLEY_META_GRAPH_VERSION: 'v21.0' },
      modules: providerTestModules(),
    });
    ws = await t.workspace({ default_country: 'US' });
    page = graph.addAccount('messenger');
    ig = graph.addAccount('instagram');
    pageChannel = await channel('messenger', page);
    igChannel = await channel('instagram', ig);
  });
  after(async () => {
    await t?.close();
    await graph?.stop();
    await llm?.close();
  });

  /** Meta's envelope: `object` page or instagram, one entry with `messaging[]`. */
  const envelope = (account: FakeAccount, events: unknown[]) => ({
    object: account.kind === 'instagram' ? 'instagram' : 'page',
    entry: [{ id: account.id, time: Date.now(), messaging: events }],
  });
  const post = async (
    channelId: string,
    account: FakeAccount,
    payload: unknown,
    secret = account.appSecret,
  ) => {
    const raw = JSON.stringify(payload);
    return t.call('POST', `/hooks/meta/${channelId}`, {
      payload: raw,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaPayload(raw, secret) },
    });
  };
  const deliver = async (channelId: string, account: FakeAccount, events: unknown[]) => {
    const r = await post(channelId, account, envelope(account, events));
    assert.equal(r.status, 200, r.text);
  };
  const byMid = (id: string) =>
    t.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', id).executeTakeFirst();
  const contact = (id: string) =>
    t.ctx.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  /** Every stored payload of the channel processed (nothing left for the job). */
  const drained = (channelId: string) =>
    eventually(async () => {
      const rows = await t.ctx.db
        .selectFrom('provider_inbound')
        .select(['processed_at', 'error'])
        .where('channel_id', '=', channelId)
        .execute();
      return rows.every((r) => r.processed_at) ? rows : null;
    });
  const textEvent = (account: FakeAccount, from: string, id: string, text: string, at = Date.now()) => ({
    sender: { id: from },
    recipient: { id: account.id },
    timestamp: at,
    message: { mid: id, text },
  });

  it('answers the verify handshake with hub.challenge, and 403 for a wrong token', async () => {
    const ok = await t.call(
      'GET',
      `/hooks/meta/${pageChannel}?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444`,
    );
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '1158201444');
    const bad = await t.call(
      'GET',
      `/hooks/meta/${igChannel}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1158201444`,
    );
    assert.equal(bad.status, 403);
  });

  it('Messenger: a text is stored under the PSID, kept on the contact, and a reply in the window goes as RESPONSE', async () => {
    const from = psid();
    const id = mid();
    graph.personWrote(page, from, Date.now());
    await deliver(pageChannel, page, [
      {
        sender: { id: from },
        recipient: { id: page.id },
        timestamp: Date.now(),
        message: { mid: id, text: 'hello, world!', quick_reply: { payload: 'DEVELOPER_DEFINED_PAYLOAD' } },
      },
    ]);
    const row = await eventually(() => byMid(id));
    assert.equal(row.text, 'hello, world!');
    assert.equal(row.from_address, from);
    const c = await contact(row.sender_id!);
    assert.equal(c.messenger_psid, from);
    assert.equal(c.phone, null);
    const api = await t.call('GET', `/v1/contacts/${c.id}`, { key: ws.live });
    assert.equal(api.body.messenger_psid, from);
    const conv = await t.call('GET', `/v1/conversations/${row.conversation_id}`, { key: ws.live });
    assert.equal(conv.body.channel, 'messenger');
    assert.ok(conv.body.window_expires_at);
    assert.ok(conv.body.human_agent_window_expires_at > conv.body.window_expires_at);

    const reply = await t.call('POST', `/v1/conversations/${row.conversation_id}/reply`, {
      key: ws.live,
      body: { text: 'Thanks, we got it.' },
    });
    assert.equal(reply.status, 201, reply.text);
    const sent = await eventually(async () =>
      graph.sendsOf(page).find((s) => s.body.message?.text === 'Thanks, we got it.'),
    );
    assert.deepEqual(sent.body.recipient, { id: from });
    assert.equal(sent.body.messaging_type, 'RESPONSE');
    assert.equal(sent.body.tag, undefined);
    assert.equal(sent.headers.authorization, `Bearer ${page.accessToken}`);
    const out = await eventually(async () => {
      const m = await t.call('GET', `/v1/messages/${reply.body.id}`, { key: ws.live });
      return m.body.status === 'sent' ? m.body : null;
    });
    assert.match(out.provider_message_id, /^m_messenger_/);
  });

  it("Messenger and Instagram customers are named from their Graph profiles; a profile Meta won't give leaves no name", async () => {
    const asha = psid();
    graph.profiles.set(asha, {
      first_name: 'Asha',
      last_name: 'Rao',
      profile_pic: 'https://cdn.fake/asha.jpg',
    });
    const fan = psid();
    graph.profiles.set(fan, { username: 'glow.fan', profile_pic: 'https://cdn.fake/fan.jpg' });
    const hidden = psid();
    const ids = [mid(), mid(), mid()];
    await deliver(pageChannel, page, [textEvent(page, asha, ids[0]!, 'do you do bridal makeup?')]);
    await deliver(igChannel, ig, [textEvent(ig, fan, ids[1]!, 'loved your story!')]);
    await deliver(pageChannel, page, [textEvent(page, hidden, ids[2]!, 'price for a haircut?')]);
    const named = async (messageId: string) => {
      const row = await eventually(() => byMid(messageId));
      return eventually(async () => {
        const c = await t.call('GET', `/v1/contacts/${row.sender_id}`, { key: ws.live });
        return c.body.attributes?.profile_checked_at ? c.body : null;
      });
    };
    const a = await named(ids[0]!);
    assert.equal(a.name, 'Asha Rao');
    assert.equal(a.attributes.avatar_url, 'https://cdn.fake/asha.jpg');
    assert.equal(
      (await named(ids[1]!)).name,
      '@glow.fan',
      'an Instagram user without a name: their username',
    );
    const h = await named(ids[2]!);
    assert.equal(h.name, null);
    // Asked once: the next message of a named customer, and of one checked this week, reads nothing.
    const reads = graph.profileReads.length;
    await deliver(pageChannel, page, [textEvent(page, asha, mid(), 'and the price?')]);
    await deliver(pageChannel, page, [textEvent(page, hidden, mid(), 'hello?')]);
    await drained(pageChannel);
    assert.equal(graph.profileReads.length, reads);
    // The conversation list shows the name, not the PSID.
    const convs = await t.call('GET', `/v1/conversations?channel=messenger&limit=100`, { key: ws.live });
    const card = convs.body.data.find((c: any) => c.contact.id === a.id);
    assert.equal(card.contact.name, 'Asha Rao');
  });

  it("Messenger: an image attachment is kept; an echo of the page's own message is ignored", async () => {
    const from = psid();
    const id = mid();
    graph.files.set('photo.jpg', {
      content: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]),
      mimeType: 'image/jpeg',
    });
    await deliver(pageChannel, page, [
      {
        sender: { id: from },
        recipient: { id: page.id },
        timestamp: Date.now(),
        message: {
          mid: id,
          attachments: [{ type: 'image', payload: { url: `${graph.url}/cdn/photo.jpg` } }],
        },
      },
    ]);
    const row = await eventually(() => byMid(id));
    assert.equal(row.type, 'image');
    const kept = await eventually(async () => {
      const r = await t.call('GET', `/v1/messages/${row.id}/media`, { key: ws.live });
      return r.status === 200 ? r : null;
    });
    assert.equal(kept.headers['content-type'], 'image/jpeg');

    const echo = mid();
    await deliver(pageChannel, page, [
      {
        sender: { id: page.id },
        recipient: { id: from },
        timestamp: Date.now(),
        message: {
          is_echo: true,
          app_id: 1517776481860111,
          metadata: 'DEVELOPER_DEFINED_METADATA_STRING',
          mid: echo,
          text: 'sent from the Page inbox',
        },
      },
    ]);
    await drained(pageChannel);
    assert.equal(await byMid(echo), undefined);
  });

  it('Messenger: a reaction cites the reacted message; a duplicate delivery is stored once', async () => {
    const from = psid();
    const first = mid();
    await deliver(pageChannel, page, [textEvent(page, from, first, 'is it open today?')]);
    await eventually(() => byMid(first));
    const at = Date.now();
    const reaction = {
      sender: { id: from },
      recipient: { id: page.id },
      timestamp: at,
      reaction: { reaction: 'love', emoji: '\u{2764}\u{FE0F}', action: 'react', mid: first },
    };
    const payload = envelope(page, [reaction]);
    assert.equal((await post(pageChannel, page, payload)).status, 200);
    // Meta retries the same event (the same bytes), and sends it again in another envelope.
    assert.equal((await post(pageChannel, page, payload)).status, 200);
    await deliver(pageChannel, page, [reaction]);
    await drained(pageChannel);
    const rows = await t.ctx.db
      .selectFrom('messages')
      .selectAll()
      .where('channel_id', '=', pageChannel)
      .where('type', '=', 'reaction')
      .where('reply_to_provider_id', '=', first)
      .execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].text, '\u{2764}\u{FE0F}');
    // The same text message delivered twice is one message too.
    await deliver(pageChannel, page, [textEvent(page, from, first, 'is it open today?')]);
    await drained(pageChannel);
    const texts = await t.ctx.db
      .selectFrom('messages')
      .select('id')
      .where('provider_message_id', '=', first)
      .execute();
    assert.equal(texts.length, 1);
  });

  it('Instagram: a story reply, a story mention, and an unsend that revokes the stored message', async () => {
    const from = psid();
    const reply = mid();
    const mention = mid();
    await deliver(igChannel, ig, [
      {
        sender: { id: from },
        recipient: { id: ig.id },
        timestamp: Date.now(),
        message: {
          mid: reply,
          text: 'Love this look!',
          reply_to: {
            story: {
              url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1',
              id: '17890000000000001',
            },
          },
        },
      },
      {
        sender: { id: from },
        recipient: { id: ig.id },
        timestamp: Date.now(),
        message: {
          mid: mention,
          attachments: [
            {
              type: 'story_mention',
              payload: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=2' },
            },
          ],
        },
      },
    ]);
    const r = await eventually(() => byMid(reply));
    assert.equal(r.text, 'Love this look!');
    assert.deepEqual(JSON.parse(r.interactive!).story_reply, {
      id: '17890000000000001',
      url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1',
    });
    assert.equal((await contact(r.sender_id!)).instagram_igsid, from);
    const m = await eventually(() => byMid(mention));
    assert.equal(m.type, 'image');
    assert.ok(JSON.parse(m.interactive!).story_mention);
    // The API says which story each message is about, for the inbox's story card.
    const listed = await t.call('GET', `/v1/conversations/${m.conversation_id}/messages?per_page=100`, {
      key: ws.live,
    });
    assert.equal(listed.status, 200, listed.text);
    const stories = (listed.body.data as Array<{ provider_message_id: string; story: unknown }>)
      .filter((x) => x.provider_message_id === reply || x.provider_message_id === mention)
      .map((x) => x.story);
    assert.deepEqual(stories, [
      { type: 'reply', url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' },
      { type: 'mention', url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=2' },
    ]);
    const plain = (listed.body.data as Array<{ story: unknown; provider_message_id: string }>).filter(
      (x) => x.provider_message_id !== reply && x.provider_message_id !== mention,
    );
    assert.ok(plain.every((x) => x.story === null));

    await deliver(igChannel, ig, [
      {
        sender: { id: from },
        recipient: { id: ig.id },
        timestamp: Date.now(),
        message: { mid: reply, is_deleted: true },
      },
    ]);
    const gone = await eventually(async () => {
      const row = await byMid(reply);
      return row?.deleted_at ? row : null;
    });
    assert.equal(gone.text, '');
  });

  it('an unknown event and an unknown attachment type: 200, kept as they came, nothing lost, no dead letter', async () => {
    const from = psid();
    const id = mid();
    await deliver(igChannel, ig, [
      {
        sender: { id: from },
        recipient: { id: ig.id },
        timestamp: Date.now(),
        brand_new_event: { anything: [1, 2] },
      },
      {
        sender: { id: from },
        recipient: { id: ig.id },
        timestamp: Date.now(),
        message: {
          mid: id,
          attachments: [{ type: 'hologram', payload: { url: 'https://lookaside.fbsbx.com/x' } }],
        },
      },
    ]);
    const row = await eventually(() => byMid(id));
    assert.equal(row.type, 'unsupported');
    assert.equal(JSON.parse(row.interactive!).attachment.type, 'hologram');
    const stored = await drained(igChannel);
    assert.ok(stored.every((s) => s.error === null));
    const raw = await t.ctx.db
      .selectFrom('provider_inbound')
      .select('raw_body')
      .where('channel_id', '=', igChannel)
      .execute();
    assert.ok(raw.some((x) => x.raw_body.includes('brand_new_event')));
  });

  it('a contact merge keeps the PSID and the IGSID; the kept contact is found by either afterwards', async () => {
    const fb = psid();
    const insta = psid();
    const a = mid();
    const b = mid();
    await deliver(pageChannel, page, [textEvent(page, fb, a, 'hi on Messenger')]);
    await deliver(igChannel, ig, [textEvent(ig, insta, b, 'hi on Instagram')]);
    const one = await eventually(() => byMid(a));
    const two = await eventually(() => byMid(b));
    const merged = await t.call('POST', `/v1/contacts/${one.sender_id}/merge`, {
      key: ws.live,
      body: { other_id: two.sender_id },
    });
    assert.equal(merged.status, 200, merged.text);
    assert.equal(merged.body.messenger_psid, fb);
    assert.equal(merged.body.instagram_igsid, insta);
    const c = mid();
    await deliver(igChannel, ig, [textEvent(ig, insta, c, 'me again')]);
    const three = await eventually(() => byMid(c));
    assert.equal(three.sender_id, one.sender_id);
  });

  it('test mode: the sandbox takes an Instagram customer by IGSID and the reply goes out', async () => {
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { channel: 'instagram', from: '7788990011223344', text: 'hi from the sandbox' },
    });
    assert.ok(r.status < 300, r.text);
    const conv =
      r.body.conversation_id ?? r.body.message?.conversation_id ?? r.body.data?.[0]?.conversation_id;
    assert.ok(conv, r.text);
    const reply = await t.call('POST', `/v1/conversations/${conv}/reply`, {
      key: ws.test,
      body: { text: 'hello' },
    });
    assert.equal(reply.status, 201, reply.text);
    const bad = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { channel: 'instagram', from: '+14155550123', text: 'a phone is no IGSID' },
    });
    assert.equal(bad.status, 400, bad.text);
  });

  it("a message for another Page is not stored, and a Messenger payload to the channel's WhatsApp hook is a 404", async () => {
    const stored = () =>
      t.ctx.db.selectFrom('provider_inbound').select('id').where('channel_id', '=', pageChannel).execute();
    // One Meta app carries several Pages: a payload this app's secret signs may be another Page's.
    const elsewhere = mid();
    const otherPage = { ...page, id: '100200300400500' };
    await deliver(pageChannel, page, [textEvent(otherPage, psid(), elsewhere, 'to another page')]);
    const foreignEntry = mid();
    const r = await post(
      pageChannel,
      page,
      envelope(otherPage, [textEvent(otherPage, psid(), foreignEntry, 'x')]),
    );
    assert.equal(r.status, 200, r.text);
    const ours = mid();
    await deliver(pageChannel, page, [textEvent(page, psid(), ours, 'to us')]);
    await drained(pageChannel);
    assert.ok(await byMid(ours), 'our own message is stored');
    assert.equal(await byMid(elsewhere), undefined);
    assert.equal(await byMid(foreignEntry), undefined);

    // The WhatsApp hook is a WhatsApp channel's only.
    const before = await stored();
    const raw = JSON.stringify(envelope(page, [textEvent(page, psid(), mid(), 'wrong door')]));
    const wrongDoor = await t.call('POST', `/hooks/whatsapp/${pageChannel}`, {
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaPayload(raw, page.appSecret),
      },
    });
    assert.equal(wrongDoor.status, 404, wrongDoor.text);
    assert.equal(wrongDoor.body.error.code, 'not_found');
    assert.equal((await stored()).length, before.length);
    const handshake = await t.call(
      'GET',
      `/hooks/whatsapp/${pageChannel}?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42`,
    );
    assert.equal(handshake.status, 404, handshake.text);
  });

  it('a bad signature is 401 and stores nothing', async () => {
    const before = await t.ctx.db
      .selectFrom('provider_inbound')
      .select('id')
      .where('channel_id', '=', pageChannel)
      .execute();
    const r = await post(
      pageChannel,
      page,
      envelope(page, [textEvent(page, psid(), mid(), 'forged')]),
      'wrong-secret',
    );
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'invalid_signature');
    const after = await t.ctx.db
      .selectFrom('provider_inbound')
      .select('id')
      .where('channel_id', '=', pageChannel)
      .execute();
    assert.equal(after.length, before.length);
  });

  it("Instagram after 24 hours: an API send is refused with human_agent_only; a person's reply goes with HUMAN_AGENT", async () => {
    const from = psid();
    const id = mid();
    const wrote = Date.now() - 30 * 3_600_000;
    graph.personWrote(ig, from, wrote);
    await deliver(igChannel, ig, [textEvent(ig, from, id, 'are you there?', wrote)]);
    const row = await eventually(() => byMid(id));
    const api = await t.call('POST', `/v1/conversations/${row.conversation_id}/reply`, {
      key: ws.live,
      body: { text: 'An automated follow-up' },
    });
    assert.equal(api.status, 422, api.text);
    assert.equal(api.body.error.code, 'human_agent_only');
    // The AI's and an automation's sends are refused the same way (never the HUMAN_AGENT tag).
    for (const actor of [
      { type: 'ai', id: null },
      { type: 'automation', id: null },
    ] as const) {
      await assert.rejects(
        sendMessage(
          t.ctx,
          { workspaceId: ws.id, livemode: true, defaultCountry: 'US', actor, limits: plans.enterprise },
          { conversation_id: row.conversation_id, type: 'text', text: 'Following up!' },
        ),
        (err: unknown) => err instanceof ApiError && err.code === 'human_agent_only',
      );
    }

    const email = `agent-${storage}@glow.in`;
    const u = await t.call('POST', '/v1/users', {
      key: ws.live,
      body: { name: 'Ravi', email, role: 'agent', password: 'first password 1' },
    });
    assert.equal(u.status, 201, u.text);
    const login = await t.call('POST', '/v1/auth/login', { body: { email, password: 'first password 1' } });
    assert.equal(login.status, 200, login.text);
    const person = await t.call('POST', `/v1/conversations/${row.conversation_id}/reply`, {
      key: login.body.token,
      body: { text: 'Sorry for the wait, Ravi here.' },
    });
    assert.equal(person.status, 201, person.text);
    const sent = await eventually(async () =>
      graph.sendsOf(ig).find((s) => s.body.message?.text === 'Sorry for the wait, Ravi here.'),
    );
    assert.equal(sent.body.messaging_type, 'MESSAGE_TAG');
    assert.equal(sent.body.tag, 'HUMAN_AGENT');
    await eventually(async () => {
      const m = await t.call('GET', `/v1/messages/${person.body.id}`, { key: ws.live });
      return m.body.status === 'sent' ? m.body : null;
    });

    // After 7 days nobody may write until the customer does.
    const old = psid();
    const oldId = mid();
    await deliver(igChannel, ig, [textEvent(ig, old, oldId, 'hello?', Date.now() - 8 * 86_400_000)]);
    const oldRow = await eventually(() => byMid(oldId));
    const late = await t.call('POST', `/v1/conversations/${oldRow.conversation_id}/reply`, {
      key: login.body.token,
      body: { text: 'Too late' },
    });
    assert.equal(late.status, 422, late.text);
    assert.equal(late.body.error.code, 'meta_outside_messaging_window');
  });

  it("Instagram's 1,000-byte text limit is a 400 before anything is sent", async () => {
    const from = psid();
    const id = mid();
    graph.personWrote(ig, from, Date.now());
    await deliver(igChannel, ig, [textEvent(ig, from, id, 'hi')]);
    const row = await eventually(() => byMid(id));
    // 400 characters, 1,200 bytes: within Messenger's 2,000 characters, over Instagram's 1,000 bytes.
    const tooLong = await t.call('POST', `/v1/conversations/${row.conversation_id}/reply`, {
      key: ws.live,
      body: { text: '€'.repeat(400) },
    });
    assert.equal(tooLong.status, 400, tooLong.text);
    assert.equal(tooLong.body.error.code, 'validation_failed');
    assert.match(JSON.stringify(tooLong.body.error.errors), /1000 bytes/);
    const caption = await t.call('POST', `/v1/conversations/${row.conversation_id}/reply`, {
      key: ws.live,
      body: { image: { url: 'https://example.com/a.jpg', caption: '€'.repeat(400) } },
    });
    assert.equal(caption.status, 400, caption.text);
    assert.match(JSON.stringify(caption.body.error.errors), /image\.caption/);
    const fits = await t.call('POST', `/v1/conversations/${row.conversation_id}/reply`, {
      key: ws.live,
      body: { text: 'é'.repeat(500) },
    });
    assert.equal(fits.status, 201, fits.text);
    await eventually(async () => graph.sendsOf(ig).find((s) => s.body.message?.text === 'é'.repeat(500)));
  });

  it('while the LLM writes, the Messenger customer sees typing_on, asked before the reply', async () => {
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: {
        name: 'Typing desk',
        model: {
          provider: 'openai_compatible',
          name: 'fake-model',
          base_url: llm.url,
          api_key: 'sk-local',
        },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const account = graph.addAccount('messenger');
    const chan = await channel('messenger', account, { agent_id: agent.body.id });
    const from = psid();
    graph.personWrote(account, from, Date.now());
    llm.script.push(say('Yes, open till 8 tonight.'));
    await deliver(chan, account, [textEvent(account, from, mid(), 'open tonight?')]);
    const reply = await eventually(async () =>
      graph.sendsOf(account).find((s) => s.body.message?.text === 'Yes, open till 8 tonight.'),
    );
    const typing = graph.actions.find((a) => a.accountId === account.id && a.recipient === from);
    assert.equal(typing?.action, 'typing_on');
    assert.ok(typing.at <= reply.at, 'typing_on before the reply');
  });

  it('the AI hands off before the 24 hours close on an unanswered message, exactly once', async () => {
    // The agent's model is held at the request, so the customer's message stays unanswered.
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    llm.onRequest = () => held;
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: {
        name: 'Glow Salon',
        model: {
          provider: 'openai_compatible',
          name: 'fake-model',
          base_url: `${llm.url}/v1`,
          api_key: 'sk-local',
        },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const account = graph.addAccount('messenger');
    const chan = await channel('messenger', account, { agent_id: agent.body.id });
    const from = psid();
    const id = mid();
    // Written 23 h 30 min ago: the window closes in 30 minutes, within the default 60 before it.
    await deliver(chan, account, [
      textEvent(account, from, id, 'can someone call me?', Date.now() - 23.5 * 3_600_000),
    ]);
    const row = await eventually(() => byMid(id));
    const conv = await eventually(async () => {
      const c = await t.call('GET', `/v1/conversations/${row.conversation_id}`, { key: ws.live });
      return c.body.ai_paused ? c.body : null;
    });
    assert.equal(conv.handoff_reason, 'messaging_window_closing');
    assert.deepEqual(conv.handoff.started_by, { type: 'ai', id: agent.body.id });
    // The job runs at least once: a second run changes nothing.
    await runWindowHandoff(t.ctx, { conversationId: row.conversation_id, windowEnd: conv.window_expires_at });
    const events = await t.call(
      'GET',
      `/v1/events?type=conversation.escalated&object_id=${row.conversation_id}`,
      { key: ws.live },
    );
    assert.equal(events.body.data.length, 1);
    release();
    llm.onRequest = undefined;
  });
});
