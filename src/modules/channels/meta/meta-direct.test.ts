import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDirectSendBody, mapDirectGraphError } from './meta-direct-send.ts';
import { parseMetaDirectWebhook } from './meta-direct-webhook.ts';

/**
 * Messenger and Instagram webhook parsing and Send API bodies, with payloads shaped as Meta's
 * Messenger Platform reference ("messages", "message_echoes", "messaging_postbacks",
 * "message_deliveries" webhook events) and the Instagram Messaging webhook reference give them.
 */
describe('Meta Messenger / Instagram protocol', () => {
  const PAGE = '682498302938465';
  const page = (events: unknown[], id = PAGE) => ({
    object: 'page',
    entry: [{ id, time: 1518479195594, messaging: events }],
  });

  it('several attachments are one message each, the first with the text', () => {
    const batch = parseMetaDirectWebhook(
      page([
        {
          sender: { id: '1254477777772919' },
          recipient: { id: '682498302938465' },
          timestamp: 1518479195308,
          message: {
            mid: 'mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c',
            text: 'two photos',
            attachments: [
              { type: 'image', payload: { url: 'https://scontent.xx.fbcdn.net/a.jpg' } },
              { type: 'file', payload: { url: 'https://cdn.fbsbx.com/b.pdf' } },
            ],
          },
        },
      ]),
      PAGE,
    );
    assert.deepEqual(
      batch.messages.map((m) => [m.providerMessageId, m.type, m.text, m.media?.url]),
      [
        ['mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c', 'image', 'two photos', 'https://scontent.xx.fbcdn.net/a.jpg'],
        ['mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c:1', 'document', '', 'https://cdn.fbsbx.com/b.pdf'],
      ],
    );
    assert.equal(batch.messages[0].timestamp.getTime(), 1518479195308);
  });

  it('postbacks, deliveries and Instagram reads; echoes and other objects yield nothing', () => {
    const batch = parseMetaDirectWebhook(
      page([
        {
          sender: { id: '1254477777772919' },
          recipient: { id: '682498302938465' },
          timestamp: 1527459824,
          postback: {
            mid: 'm_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P',
            title: 'Talk to a person',
            payload: 'HUMAN',
          },
        },
        {
          sender: { id: '1254477777772919' },
          recipient: { id: '682498302938465' },
          delivery: { mids: ['mid.1458668856218:ed81099e15d3f4f233'], watermark: 1458668856253 },
        },
        {
          sender: { id: '682498302938465' },
          recipient: { id: '1254477777772919' },
          timestamp: 1,
          message: { is_echo: true, mid: 'mid.echo', text: 'ours' },
        },
      ]),
      PAGE,
    );
    assert.equal(batch.messages.length, 1);
    assert.equal(batch.messages[0].type, 'button');
    assert.equal(batch.messages[0].text, 'Talk to a person');
    assert.deepEqual(
      batch.statuses.map((s) => [s.providerMessageId, s.status]),
      [['mid.1458668856218:ed81099e15d3f4f233', 'delivered']],
    );
    const ig = parseMetaDirectWebhook(
      {
        object: 'instagram',
        entry: [
          {
            id: '17841400000000000',
            time: 1,
            messaging: [
              {
                sender: { id: '6543210' },
                recipient: { id: '17841400000000000' },
                timestamp: 2,
                read: { mid: 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx' },
              },
            ],
          },
        ],
      },
      '17841400000000000',
    );
    assert.deepEqual(
      ig.statuses.map((s) => s.status),
      ['read'],
    );
    assert.deepEqual(parseMetaDirectWebhook({ object: 'whatsapp_business_account', entry: [] }, PAGE), {
      messages: [],
      statuses: [],
      notices: [],
    });
    assert.deepEqual(parseMetaDirectWebhook('not an object', PAGE).messages, []);
  });

  it("yields nothing addressed to another Page: another entry's id, or an event's recipient", () => {
    const text = (to: string, mid: string) => ({
      sender: { id: '1254477777772919' },
      recipient: { id: to },
      timestamp: 1518479195308,
      message: { mid, text: 'for someone else?' },
    });
    const other = '100200300400500';
    // The whole entry is another Page's.
    assert.deepEqual(parseMetaDirectWebhook(page([text(other, 'mid.a')], other), PAGE).messages, []);
    // Our entry, but one event is for another Page (and one read receipt too): only ours is kept.
    const mixed = parseMetaDirectWebhook(
      page([
        text(other, 'mid.b'),
        text(PAGE, 'mid.c'),
        { sender: { id: '1254477777772919' }, recipient: { id: other }, delivery: { mids: ['mid.d'] } },
      ]),
      PAGE,
    );
    assert.deepEqual(
      mixed.messages.map((m) => m.providerMessageId),
      ['mid.c'],
    );
    assert.deepEqual(mixed.statuses, []);
  });

  it('Send API bodies: RESPONSE in the window, the HUMAN_AGENT tag when the send job says so, files as attachments', () => {
    assert.deepEqual(buildDirectSendBody({ id: 'msg_1', to: '1254477777772919', type: 'text', text: 'hi' }), {
      recipient: { id: '1254477777772919' },
      messaging_type: 'RESPONSE',
      message: { text: 'hi' },
    });
    assert.deepEqual(
      buildDirectSendBody({
        id: 'msg_2',
        to: '1254477777772919',
        type: 'document',
        media: { url: 'https://x.test/a.pdf' },
        humanAgent: true,
      }),
      {
        recipient: { id: '1254477777772919' },
        messaging_type: 'MESSAGE_TAG',
        tag: 'HUMAN_AGENT',
        message: {
          attachment: { type: 'file', payload: { url: 'https://x.test/a.pdf', is_reusable: false } },
        },
      },
    );
  });

  it('maps Send API errors: the window, an unreachable person, rate limits, tokens', () => {
    const window = mapDirectGraphError(400, {
      code: 10,
      error_subcode: 2018278,
      message: '(#10) This message is sent outside of allowed window.',
    });
    assert.equal(window.code, 'meta_outside_messaging_window');
    assert.equal(window.retryable, false);
    assert.equal(
      mapDirectGraphError(400, { code: 551, message: "This person isn't available right now." }).code,
      'meta_undeliverable',
    );
    assert.equal(
      mapDirectGraphError(400, { code: 613, message: 'Calls to this api have exceeded the rate limit.' })
        .retryable,
      true,
    );
    assert.equal(
      mapDirectGraphError(401, { code: 190, message: 'Invalid OAuth access token' }).code,
      'channel_not_configured',
    );
    assert.equal(mapDirectGraphError(503, undefined).retryable, true);
  });
});
