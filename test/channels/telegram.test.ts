import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { type FakeBot, FakeTelegramBotApi } from '../fakes/telegram-bot-api.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { uploadMedia } from '../support/media-upload.ts';
import { providerTestModules } from '../support/provider-modules.ts';

/**
 * A Telegram bot channel against a local fake of the Bot API: the channel sets its webhook with a
 * secret token; updates (messages, photos, documents, callback button taps) shaped as
 * https://core.telegram.org/bots/api gives them come in through the webhook, the built-in AI
 * answers, a handoff puts the conversation in the inbox and a person's reply goes out.
 */
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n');

forEachStorage('Telegram bot channel', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let api: FakeTelegramBotApi;
  let bot: FakeBot;
  let channelId: string;
  let secret: string;
  let seq = 0;
  const chatId = () => 500_000_000 + Math.floor(Math.random() * 1e8) + ++seq;
  const updateId = () => 800_000_000 + ++seq;
  const from = (chat: number) => ({
    id: chat,
    is_bot: false,
    first_name: 'Asha',
    last_name: 'Rao',
    username: 'asha_r',
  });
  const message = (chat: number, fields: Record<string, unknown>) => ({
    update_id: updateId(),
    message: {
      message_id: ++seq,
      from: from(chat),
      chat: { id: chat, first_name: 'Asha', type: 'private' },
      date: Math.floor(Date.now() / 1000),
      ...fields,
    },
  });
  const post = (update: unknown, token: string | null = secret) =>
    t.call('POST', `/hooks/telegram/${channelId}`, {
      payload: JSON.stringify(update),
      headers: {
        'content-type': 'application/json',
        ...(token === null ? {} : { 'x-telegram-bot-api-secret-token': token }),
      },
    });
  const deliver = async (update: unknown) => {
    const r = await post(update);
    assert.equal(r.status, 200, r.text);
  };
  const conversationOf = (chat: number) =>
    eventually(async () => {
      const r = await t.call('GET', `/v1/conversations?channel=telegram&q=${chat}`, { key: ws.live });
      return r.body.data?.[0];
    });
  const messagesOf = async (conv: string) =>
    (await t.call('GET', `/v1/conversations/${conv}/messages?limit=100`, { key: ws.live })).body
      .data as any[];
  const sendsTo = (chat: number) => api.sendsOf(bot).filter((c) => String(c.fields.chat_id) === String(chat));

  before(async () => {
    api = new FakeTelegramBotApi();
    await api.start();
    t = await startTestApp(storage, {
      env: { PARLEY_TELEGRAM_API_URL: api.url, PARLEY_PUBLIC_URL: 'https://parley.example.com' },
      modules: providerTestModules().map((m) =>
        m.name === 'ai' ? createAiModule({ replyDebounceMs: 100 }) : m,
      ),
    });
    ws = await t.workspace({ default_country: 'US' });
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: {
        name: 'Glow Salon',
        instructions: 'Be kind.',
        handoff: { keywords: ['manager'] },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    bot = api.addBot();
    const r = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'telegram',
        provider: 'telegram',
        address: bot.id,
        agent_id: agent.body.id,
        credentials: { bot_token: bot.token },
      },
    });
    assert.equal(r.status, 201, r.text);
    channelId = r.body.id;
    assert.equal(r.body.inbound_url, `https://parley.example.com/hooks/telegram/${channelId}`);
    assert.deepEqual(r.body.credential_fields.sort(), ['bot_token', 'webhook_secret']);
    assert.ok(!r.text.includes(bot.token), 'the token is never returned');
    const [hook] = api.callsOf(bot, 'setWebhook');
    assert.equal(hook?.fields.url, r.body.inbound_url);
    secret = hook!.fields.secret_token;
    assert.match(secret, /^[A-Za-z0-9_-]{20,256}$/);
    assert.ok(!r.text.includes(secret), 'the webhook secret is never returned');
  });
  after(async () => {
    await t?.close();
    await api?.stop();
  });

  it("refuses a bot_token Telegram does not know, or another bot's, storing nothing", async () => {
    const before = (await t.call('GET', '/v1/channels', { key: ws.live })).body.data.length;
    const unknown = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'telegram',
        provider: 'telegram',
        address: '123456789',
        credentials: { bot_token: '123456789:AAnope' },
      },
    });
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(unknown.body.error.code, 'validation_failed');
    assert.equal(unknown.body.error.errors[0].field, 'credentials');
    const other = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'telegram',
        provider: 'telegram',
        address: '987654321',
        credentials: { bot_token: bot.token },
      },
    });
    assert.equal(other.status, 400, other.text);
    const missing = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: { type: 'telegram', provider: 'telegram', address: '987654321' },
    });
    assert.equal(missing.status, 400, missing.text);
    assert.equal(missing.body.error.errors[0].field, 'credentials.bot_token');
    assert.equal((await t.call('GET', '/v1/channels', { key: ws.live })).body.data.length, before);
  });

  it('the AI answers, a handoff puts the conversation in the inbox, and a person answers with sendMessage', async () => {
    const chat = chatId();
    await deliver(message(chat, { text: 'Hello there' }));
    const conv = await conversationOf(chat);
    assert.equal(conv.channel, 'telegram');
    const contact = await t.call('GET', `/v1/contacts/${conv.contact.id}`, { key: ws.live });
    assert.equal(contact.body.telegram_chat_id, String(chat), contact.text);
    assert.equal(contact.body.name, 'Asha Rao');
    const [first] = await eventually(async () => {
      const s = sendsTo(chat);
      return s.length ? s : null;
    });
    assert.equal(first!.method, 'sendMessage');
    // What went out is the AI's stored reply.
    const aiReply = (await messagesOf(conv.id)).find((m) => m.direction === 'outbound');
    assert.equal(aiReply?.sender.type, 'ai');
    assert.equal(first!.fields.text, aiReply.text);

    await deliver(message(chat, { text: 'I want to talk to a human' }));
    const handed = await eventually(async () => {
      const r = await t.call('GET', `/v1/conversations/${conv.id}`, { key: ws.live });
      return r.body.ai_paused ? r.body : null;
    });
    assert.ok(handed.handoff_reason);
    const inbox = await t.call('GET', '/v1/conversations?ai_paused=true&channel=telegram', { key: ws.live });
    assert.ok(inbox.body.data.some((c: any) => c.id === conv.id));

    const reply = await t.call('POST', `/v1/conversations/${conv.id}/reply`, {
      key: ws.live,
      body: { text: 'Hi Asha, Ravi here. How can I help?' },
    });
    assert.equal(reply.status, 201, reply.text);
    const sent = await eventually(async () => {
      const m = await t.call('GET', `/v1/messages/${reply.body.id}`, { key: ws.live });
      return m.body.status === 'sent' ? m.body : null;
    });
    // The person's reply (the AI's handoff notice may still be going out beside it).
    const out = sendsTo(chat).find((x) => x.fields.text === 'Hi Asha, Ravi here. How can I help?');
    assert.equal(out?.method, 'sendMessage');
    assert.match(sent.provider_message_id, new RegExp(`^${chat}:\\d+$`));
  });

  it('a photo and a document come in and are kept; a photo by URL and an uploaded document go out', async () => {
    const chat = chatId();
    const photoId = api.addFile(JPEG, 'photos/file_1.jpg', 'image/jpeg');
    const docId = api.addFile(PDF, 'documents/file_2.pdf', 'application/pdf');
    await deliver(
      message(chat, {
        caption: 'my hair last week',
        photo: [
          { file_id: 'AgACsmall', file_unique_id: 's', width: 90, height: 67, file_size: 1000 },
          { file_id: photoId, file_unique_id: 'l', width: 1280, height: 960, file_size: JPEG.length },
        ],
      }),
    );
    await deliver(
      message(chat, {
        document: {
          file_id: docId,
          file_unique_id: 'd',
          file_name: 'booking.pdf',
          mime_type: 'application/pdf',
        },
      }),
    );
    const conv = await conversationOf(chat);
    const [photo, doc] = await eventually(async () => {
      const ms = (await messagesOf(conv.id)).filter((m) => m.direction === 'inbound');
      return ms.length === 2 ? ms.sort((a, b) => (a.type < b.type ? 1 : -1)) : null;
    });
    assert.equal(photo.type, 'image');
    assert.equal(photo.text ?? photo.media?.caption, 'my hair last week');
    assert.equal(doc.type, 'document');
    const keptPhoto = await eventually(async () => {
      const r = await t.call('GET', `/v1/messages/${photo.id}/media`, { key: ws.live });
      return r.status === 200 ? r : null;
    });
    assert.equal(keptPhoto.headers['content-type'], 'image/jpeg');
    assert.equal(Number(keptPhoto.headers['content-length']), JPEG.length);
    const keptDoc = await eventually(async () => {
      const r = await t.call('GET', `/v1/messages/${doc.id}/media`, { key: ws.live });
      return r.status === 200 ? r : null;
    });
    assert.equal(keptDoc.headers['content-type'], 'application/pdf');

    const image = await t.call('POST', `/v1/conversations/${conv.id}/reply`, {
      key: ws.live,
      body: { image: { url: 'https://example.com/salon.jpg', caption: 'Our salon' } },
    });
    assert.equal(image.status, 201, image.text);
    const mediaId = await uploadMedia(t, ws.live, PDF, 'prices.pdf', 'application/pdf');
    const document = await t.call('POST', `/v1/conversations/${conv.id}/reply`, {
      key: ws.live,
      body: { document: { media_id: mediaId, filename: 'prices.pdf' } },
    });
    assert.equal(document.status, 201, document.text);
    const [photoOut, docOut] = await eventually(async () => {
      const s = sendsTo(chat).filter((c) => c.method !== 'sendMessage');
      return s.length === 2 ? s : null;
    });
    assert.equal(photoOut!.method, 'sendPhoto');
    assert.equal(photoOut!.fields.photo, 'https://example.com/salon.jpg');
    assert.equal(photoOut!.fields.caption, 'Our salon');
    assert.equal(docOut!.method, 'sendDocument');
    assert.equal(docOut!.upload?.filename, 'prices.pdf');
    assert.deepEqual(docOut!.upload?.content, PDF);
  });

  it('buttons go as an inline keyboard; a tap comes back as the button, and the query is answered', async () => {
    const chat = chatId();
    await deliver(message(chat, { text: 'manager please' }));
    const conv = await conversationOf(chat);
    await eventually(
      async () => (await t.call('GET', `/v1/conversations/${conv.id}`, { key: ws.live })).body.ai_paused,
    );
    const r = await t.call('POST', `/v1/conversations/${conv.id}/reply`, {
      key: ws.live,
      body: {
        interactive: {
          type: 'button',
          body: 'Which day suits you?',
          buttons: [
            { id: 'day_sat', title: 'Saturday' },
            { id: 'day_sun', title: 'Sunday' },
          ],
        },
      },
    });
    assert.equal(r.status, 201, r.text);
    const sent = await eventually(async () => sendsTo(chat).find((c) => c.fields.reply_markup));
    const keyboard = sent.fields.reply_markup.inline_keyboard;
    assert.deepEqual(keyboard, [
      [{ text: 'Saturday', callback_data: 'day_sat' }],
      [{ text: 'Sunday', callback_data: 'day_sun' }],
    ]);
    const tap = {
      update_id: updateId(),
      callback_query: {
        id: `4382bfdwdsb323b2d9${seq}`,
        from: from(chat),
        chat_instance: '-5213',
        data: 'day_sun',
        message: {
          message_id: 1001,
          from: { id: Number(bot.id), is_bot: true, first_name: 'Glow' },
          chat: { id: chat, type: 'private' },
          date: Math.floor(Date.now() / 1000),
          text: 'Which day suits you?',
          reply_markup: { inline_keyboard: keyboard },
        },
      },
    };
    await deliver(tap);
    const got = await eventually(async () =>
      (await messagesOf(conv.id)).find((m) => m.direction === 'inbound' && m.type === 'interactive'),
    );
    assert.equal(got.text, 'Sunday');
    await eventually(async () =>
      api
        .callsOf(bot, 'answerCallbackQuery')
        .find((c) => c.fields.callback_query_id === tap.callback_query.id),
    );
  });

  it('new credentials set the webhook again with a new secret; the old one is refused from then on', async () => {
    const old = secret;
    const r = await t.call('PATCH', `/v1/channels/${channelId}`, {
      key: ws.live,
      body: { credentials: { bot_token: bot.token } },
    });
    assert.equal(r.status, 200, r.text);
    const hooks = api.callsOf(bot, 'setWebhook');
    secret = hooks.at(-1)!.fields.secret_token;
    assert.notEqual(secret, old);
    assert.equal(hooks.at(-1)!.fields.url, r.body.inbound_url);
    // Hook requests read their channel through a cache of a few seconds: the new secret is
    // taken once it has passed, and the old one refused.
    await eventually(async () => (await post(message(chatId(), { text: 'new?' }))).status === 200, 10_000);
    assert.equal((await post(message(chatId(), { text: 'old?' }), old)).status, 401);
  });

  it("a deleted channel's webhook is removed at Telegram, and its hook URL is a 404", async () => {
    const other = api.addBot();
    const r = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'telegram',
        provider: 'telegram',
        address: other.id,
        credentials: { bot_token: other.token },
      },
    });
    assert.equal(r.status, 201, r.text);
    const otherSecret = api.callsOf(other, 'setWebhook')[0]!.fields.secret_token;
    const gone = await t.call('DELETE', `/v1/channels/${r.body.id}`, { key: ws.live });
    assert.equal(gone.status, 200, gone.text);
    assert.equal(api.callsOf(other, 'deleteWebhook').length, 1);
    const late = await t.call('POST', `/hooks/telegram/${r.body.id}`, {
      payload: JSON.stringify(message(chatId(), { text: 'anyone?' })),
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': otherSecret },
    });
    assert.equal(late.status, 404, late.text);
  });

  it('a wrong or missing secret token is a 401 and stores nothing; an update sent twice is stored once', async () => {
    const count = async () =>
      Number(
        (
          await t.ctx.db
            .selectFrom('provider_inbound')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('channel_id', '=', channelId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const chat = chatId();
    const update = message(chat, { text: 'only once please' });
    const wrong = await post(update, 'not-the-secret');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'invalid_signature');
    assert.equal((await post(update, null)).status, 401);
    assert.equal(await count(), before);

    await deliver(update);
    await deliver(update);
    const conv = await conversationOf(chat);
    await eventually(async () => (await messagesOf(conv.id)).some((m) => m.direction === 'inbound'));
    // Every stored payload processed, then one message only.
    await eventually(async () => {
      const rows = await t.ctx.db
        .selectFrom('provider_inbound')
        .select('processed_at')
        .where('channel_id', '=', channelId)
        .execute();
      return rows.every((r) => r.processed_at);
    });
    const inbound = (await messagesOf(conv.id)).filter((m) => m.direction === 'inbound');
    assert.equal(inbound.length, 1);
    assert.equal(inbound[0].text, 'only once please');
  });
});
