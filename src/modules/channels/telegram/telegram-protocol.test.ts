import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTelegramCall, mapTelegramError, parseTelegramUpdate } from './telegram-protocol.ts';

/**
 * Telegram updates and Bot API calls, with payloads shaped as https://core.telegram.org/bots/api
 * gives them (Update, Message, PhotoSize, Document, CallbackQuery; sendMessage, sendPhoto).
 */
describe('Telegram Bot API protocol', () => {
  const from = { id: 111222333, is_bot: false, first_name: 'Asha', last_name: 'Rao', username: 'asha_r' };
  const chat = { id: 111222333, first_name: 'Asha', type: 'private' };

  it('a text: the chat id is the customer, the name theirs, the id the chat and message_id', () => {
    const batch = parseTelegramUpdate({
      update_id: 10000,
      message: {
        message_id: 42,
        from,
        chat,
        date: 1732600000,
        text: 'hello',
        reply_to_message: { message_id: 40 },
      },
    });
    assert.deepEqual(
      batch.messages.map((m) => [
        m.providerMessageId,
        m.from,
        m.profileName,
        m.type,
        m.text,
        m.replyToProviderId,
      ]),
      [['111222333:42', '111222333', 'Asha Rao', 'text', 'hello', '111222333:40']],
    );
    assert.equal(batch.messages[0]!.timestamp.getTime(), 1732600000 * 1000);
  });

  it('a photo keeps its largest size and caption; a document its name and type; an edit names the original', () => {
    const photo = parseTelegramUpdate({
      update_id: 1,
      message: {
        message_id: 7,
        from,
        chat,
        date: 1,
        caption: 'look',
        photo: [
          { file_id: 'small', file_unique_id: 'a', width: 90, height: 90 },
          { file_id: 'big', file_unique_id: 'b', width: 1280, height: 1280 },
          { file_id: 'mid', file_unique_id: 'c', width: 320, height: 320 },
        ],
      },
    }).messages[0]!;
    assert.equal(photo.type, 'image');
    assert.equal(photo.text, 'look');
    assert.equal(photo.media?.id, 'big');
    const doc = parseTelegramUpdate({
      update_id: 2,
      message: {
        message_id: 8,
        from,
        chat,
        date: 1,
        document: { file_id: 'BQAC', file_unique_id: 'd', file_name: 'a.pdf', mime_type: 'application/pdf' },
      },
    }).messages[0]!;
    assert.deepEqual(
      [doc.type, doc.media?.id, doc.media?.filename, doc.media?.mime_type],
      ['document', 'BQAC', 'a.pdf', 'application/pdf'],
    );
    const edit = parseTelegramUpdate({
      update_id: 3,
      edited_message: { message_id: 8, from, chat, date: 1, edit_date: 5, text: 'fixed' },
    }).messages[0]!;
    assert.deepEqual(edit.edit, { originalProviderId: '111222333:8' });
    assert.equal(edit.providerMessageId, '111222333:8:edit:5');
  });

  it("a button tap is the button's text and id, with its query to answer; groups and bots yield nothing", () => {
    const batch = parseTelegramUpdate({
      update_id: 4,
      callback_query: {
        id: '4382bfdwdsb323b2d9',
        from,
        chat_instance: '1',
        data: 'day_sun',
        message: {
          message_id: 9,
          chat,
          date: 1,
          text: 'Which day?',
          reply_markup: { inline_keyboard: [[{ text: 'Sunday', callback_data: 'day_sun' }]] },
        },
      },
    });
    assert.deepEqual(batch.callbackQueryIds, ['4382bfdwdsb323b2d9']);
    assert.deepEqual(
      batch.messages.map((m) => [m.providerMessageId, m.type, m.text, m.payload]),
      [
        [
          'callback:4382bfdwdsb323b2d9',
          'interactive',
          'Sunday',
          { kind: 'button_reply', id: 'day_sun', title: 'Sunday' },
        ],
      ],
    );
    const group = { id: -1001234567890, title: 'Fans', type: 'supergroup' };
    assert.deepEqual(
      parseTelegramUpdate({
        update_id: 5,
        message: { message_id: 1, from, chat: group, date: 1, text: 'hi' },
      }).messages,
      [],
    );
    assert.deepEqual(
      parseTelegramUpdate({
        update_id: 6,
        message: { message_id: 1, from: { ...from, is_bot: true }, chat, date: 1, text: 'x' },
      }).messages,
      [],
    );
    assert.equal(
      parseTelegramUpdate({
        update_id: 7,
        message: { message_id: 1, from, chat, date: 1, dice: { emoji: '🎲', value: 3 } },
      }).messages[0]?.type,
      'unsupported',
    );
    assert.deepEqual(parseTelegramUpdate('not an update').messages, []);
  });

  it('calls: text, buttons as an inline keyboard, a file by URL or as an upload, a reply to a message', () => {
    assert.deepEqual(
      buildTelegramCall({
        id: 'msg_1',
        to: '111222333',
        type: 'text',
        text: 'hi',
        replyToProviderId: '111222333:40',
      }),
      {
        method: 'sendMessage',
        fields: {
          chat_id: '111222333',
          text: 'hi',
          reply_parameters: { message_id: 40, allow_sending_without_reply: true },
        },
      },
    );
    const buttons = buildTelegramCall({
      id: 'msg_2',
      to: '1',
      type: 'interactive',
      interactive: { kind: 'button', body: 'Pick', buttons: [{ id: 'a', title: 'A' }] },
    });
    assert.deepEqual(buttons.fields.reply_markup, { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] });
    assert.deepEqual(
      buildTelegramCall({
        id: 'm',
        to: '1',
        type: 'image',
        media: { url: 'https://x.test/a.jpg', caption: 'c' },
      }),
      {
        method: 'sendPhoto',
        fields: { chat_id: '1', caption: 'c', photo: 'https://x.test/a.jpg' },
      },
    );
    const upload = buildTelegramCall({
      id: 'm',
      to: '1',
      type: 'document',
      media: {
        filename: 'p.pdf',
        file: { content: Buffer.from('%PDF'), mimeType: 'application/pdf', sha256: 'x' },
      },
    });
    assert.equal(upload.method, 'sendDocument');
    assert.deepEqual([upload.upload?.field, upload.upload?.filename], ['document', 'p.pdf']);
    assert.throws(
      () =>
        buildTelegramCall({
          id: 'm',
          to: '1',
          type: 'interactive',
          interactive: { kind: 'button', body: 'b', buttons: [{ id: 'x'.repeat(65), title: 'X' }] },
        }),
      /64 bytes/,
    );
  });

  it('maps refusals: a bad token, a blocked bot, flood waits, bad requests', () => {
    assert.equal(
      mapTelegramError(401, { error_code: 401, description: 'Unauthorized' }).code,
      'channel_not_configured',
    );
    const blocked = mapTelegramError(403, {
      error_code: 403,
      description: 'Forbidden: bot was blocked by the user',
    });
    assert.deepEqual([blocked.code, blocked.retryable], ['telegram_blocked', false]);
    const flood = mapTelegramError(429, {
      error_code: 429,
      description: 'Too Many Requests: retry after 7',
      parameters: { retry_after: 7 },
    });
    assert.deepEqual(
      [flood.code, flood.retryable, flood.retryAfterMs],
      ['telegram_rate_limited', true, 7000],
    );
    assert.equal(
      mapTelegramError(400, { error_code: 400, description: 'Bad Request: chat not found' }).code,
      'validation_failed',
    );
    assert.equal(mapTelegramError(502, undefined).retryable, true);
  });
});
