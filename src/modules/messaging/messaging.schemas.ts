import { z } from 'zod';
import { baseObject, describe, idOf, listQuery, nullableTimestamp } from '../../platform/http/schemas.ts';
import { channelTypes, interactiveKinds } from '../channels/index.ts';
import { messageTypes } from './content.ts';
import { richInteractiveFields } from './interactive.schemas.ts';

/** A file uploaded with `POST /v1/media`. */
export const uploadedId = (d: string) =>
  describe(z.string().min(1).max(64), d, 'media_01JD5Z8Q4X3N2M1K0H9G8F7E6D');

const media = (kind: string) =>
  describe(
    z.strictObject({
      url: describe(
        z.string().min(1).max(2000),
        `Public http(s) URL of the ${kind} (or \`media_id\` instead).`,
        `https://example.com/files/${kind}.bin`,
      ).optional(),
      media_id: describe(
        z.string().min(1).max(80),
        `A file uploaded with \`POST /v1/media\`, instead of \`url\`: its kind must be ${kind === 'document' ? 'any file (a document carries any kind)' : kind}. Parley hands the bytes to the provider: uploaded to Meta on WhatsApp, attached on email (SMS takes only \`url\`: Twilio fetches MMS files itself).`,
        'media_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
      ).optional(),
      caption: describe(
        z.string().max(5000),
        'Caption (at most 1,024 characters; not for audio).',
        'Your invoice for May',
      ).optional(),
      filename: describe(
        z.string().min(1).max(240),
        'File name shown to the recipient (documents only).',
        'invoice.pdf',
      ).optional(),
    }),
    `The ${kind}, when type is ${kind} (alone, it sets type ${kind}).`,
  ).optional();

export const templateRef = describe(
  z.strictObject({
    name: describe(z.string().min(1).max(512), 'Name of an approved template.', 'appointment_reminder'),
    language: describe(
      z.string().min(2).max(15),
      'Language code of the template (optional when the name exists in one language only).',
      'en',
    ).optional(),
    variables: describe(
      z.union([
        z.array(z.union([z.string(), z.number()]).transform(String)).max(100),
        z.record(z.string(), z.union([z.string(), z.number()])),
      ]),
      'Values for the placeholders: a list for `{{1}}, {{2}}...`, or an object for `{{name}}` placeholders.',
      ['Ava', 'tomorrow 3 pm'],
    ).optional(),
    header: describe(
      z.strictObject({
        variables: describe(
          z.union([
            z.array(z.union([z.string(), z.number()]).transform(String)).max(100),
            z.record(z.string(), z.union([z.string(), z.number()])),
          ]),
          "Values for the header's placeholder: a list for `{{1}}`, or an object for `{{name}}`.",
          ['May 12'],
        ).optional(),
        media: describe(
          z.strictObject({
            url: describe(
              z.string().url().max(2000),
              'Public https URL of the file (or give `media_id`).',
              'https://example.com/menu.jpg',
            ).optional(),
            media_id: uploadedId("An uploaded file instead of a URL, of the header's kind.").optional(),
            filename: describe(
              z.string().min(1).max(240),
              'File name shown for a document.',
              'menu.pdf',
            ).optional(),
          }),
          'The file of an image, video or document header.',
        ).optional(),
      }),
      'Header values: the placeholder value of a text header (for `{{name}}` templates, defaults to the body values of the same name), or the file of a media header.',
    ).optional(),
    buttons: describe(
      z
        .array(
          z.strictObject({
            index: describe(
              z.number().int().min(0).max(9),
              "Position of the button in the template's buttons (from 0).",
              0,
            ),
            variables: describe(
              z.union([
                z.array(z.union([z.string(), z.number()]).transform(String)).max(100),
                z.record(z.string(), z.union([z.string(), z.number()])),
              ]),
              "Value for the URL button's placeholder (the end of its URL).",
              ['booking/8812'],
            ),
          }),
        )
        .max(10),
      'Values for URL buttons with a placeholder in their URL.',
    ).optional(),
  }),
  'The template, when type is template (alone, it sets type template).',
);

const interactive = describe(
  z.strictObject({
    type: describe(
      z.enum(interactiveKinds),
      'Reply buttons (up to 3) or a list (up to 10 rows); on WhatsApp also cta_url, location_request_message, flow, product, product_list, catalog_message, order_details and order_status (docs/channels.md).',
      'button',
    ),
    body: describe(
      z.string().min(1).max(5000),
      'Body text (at most 1,024 characters); required except for a product message.',
      'Which time suits you?',
    ).optional(),
    header: describe(
      z.string().min(1).max(500),
      'Header text (at most 60 characters).',
      'Booking',
    ).optional(),
    footer: describe(
      z.string().min(1).max(500),
      'Footer text (at most 60 characters).',
      'Glow Salon',
    ).optional(),
    buttons: describe(
      z
        .array(
          z.strictObject({
            id: describe(z.string().min(1).max(256), 'Returned when the customer taps it.', 'slot_3pm'),
            title: describe(z.string().min(1).max(200), 'Button label (at most 20 characters).', '3 pm'),
          }),
        )
        .max(20),
      'Reply buttons (type button).',
    ).optional(),
    list: describe(
      z.strictObject({
        button: describe(
          z.string().min(1).max(200),
          'Label of the button that opens the list (at most 20 characters).',
          'Choose a slot',
        ),
        sections: describe(
          z
            .array(
              z.strictObject({
                title: describe(
                  z.string().min(1).max(200),
                  'Section title (at most 24 characters).',
                  'Morning',
                ).optional(),
                rows: describe(
                  z
                    .array(
                      z.strictObject({
                        id: describe(
                          z.string().min(1).max(200),
                          'Returned when the customer picks it.',
                          'slot_10am',
                        ),
                        title: describe(
                          z.string().min(1).max(200),
                          'Row title (at most 24 characters).',
                          '10 am',
                        ),
                        description: describe(
                          z.string().min(1).max(500),
                          'Row description (at most 72 characters).',
                          'With Priya',
                        ).optional(),
                      }),
                    )
                    .max(50),
                  'Rows of the section.',
                ),
              }),
            )
            .max(20),
          'Sections of the list.',
        ),
      }),
      'The list (type list).',
    ).optional(),
    ...richInteractiveFields,
  }),
  'Interactive content (WhatsApp only), when type is interactive (alone, it sets type interactive).',
).optional();

/** The content of a message: shared by `POST /v1/messages` and the conversation reply. */
export const contentFields = {
  type: describe(
    z.enum(messageTypes),
    'What kind of message. May be left out when exactly one content field (text, template, image, document, audio, video, interactive) is given: the type is that field; with several, type is required.',
    'text',
  ).optional(),
  text: describe(
    z.string().max(100_000),
    'The text, when type is text (at most 4,096 characters; alone, it sets type text).',
    'Namaste! Aapki appointment kal 3 baje confirm ho gayi hai.',
  ).optional(),
  template: templateRef.optional(),
  image: media('image'),
  document: media('document'),
  audio: media('audio'),
  video: media('video'),
  interactive,
};

export const sendMessageBody = z
  .strictObject({
    to: describe(
      z.string().min(3).max(320),
      "Recipient: a phone number (E.164, or local to the workspace's default country), or an email address for the email channel.",
      '+919876543210',
    ),
    ...contentFields,
    channel: describe(
      z.enum(channelTypes),
      'Channel to send on (default whatsapp). Voice is not available as a messaging channel in this version (422 channel_not_configured).',
      'whatsapp',
    ).optional(),
    from: describe(
      z.string().min(3).max(320),
      "The channel's own address to send from, when the workspace has several.",
      '+14155550123',
    ).optional(),
    agent_id: idOf(
      'agt',
      "Send from this agent's channel; the conversation is bound to the agent.",
    ).optional(),
    ignore_dnd: describe(
      z.boolean(),
      'Send a business-initiated message even to a contact on do-not-disturb (never to one who opted out).',
      false,
    ).optional(),
  })
  .meta({
    examples: [
      {
        to: '+919876543210',
        type: 'text',
        text: 'Namaste! Aapki appointment kal 3 baje confirm ho gayi hai.',
      },
    ],
  });

export const agentSendMessageBody = sendMessageBody.omit({ agent_id: true }).meta({
  // Business-initiated: a template, the only content WhatsApp delivers outside the 24-hour window.
  examples: [
    {
      to: '+919876543210',
      template: { name: 'appointment_reminder', language: 'en', variables: ['Asha', 'tomorrow 3 pm'] },
    },
  ],
});

export const replyBody = z
  .strictObject({
    ...contentFields,
    type: describe(
      z.enum([...messageTypes, 'note']),
      'What kind of message (see POST /v1/messages). `note` is a private note for the team: stored in the thread with `text`, never sent to the customer and never read by the AI.',
      'text',
    ).optional(),
    body: describe(
      z.string().max(100_000),
      'The text of the reply, as Devotel Orbit sends it (`{"body": "..."}`): the same as `text`. Give one of `text` and `body`.',
      'Thanks — I just refunded that order.',
    ).optional(),
  })
  .superRefine((b, issue) => {
    if (b.body !== undefined && b.text !== undefined)
      issue.addIssue({ code: 'custom', path: ['body'], message: 'give either `text` or `body`, not both' });
  })
  .meta({ examples: [{ text: 'Haan ji, hum Sunday ko 10 se 7 khule hain.' }] });

const senderTypes = ['customer', 'ai', 'user', 'api_key', 'system'] as const;

export const messageObject = z.object({
  ...baseObject('msg', 'message'),
  conversation_id: idOf('conv', 'The conversation the message belongs to.'),
  channel_id: idOf('ch', 'The channel it went out or came in on.'),
  direction: describe(
    z.enum(['inbound', 'outbound']),
    'Inbound from the customer, or outbound to them.',
    'outbound',
  ),
  sender: describe(
    z.object({
      type: describe(z.enum(senderTypes), 'Who wrote it.', 'api_key'),
      id: describe(
        z.string().nullable(),
        'Id of the key, user, agent or contact that wrote it.',
        'key_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
      ),
    }),
    'Who wrote the message.',
  ),
  type: describe(
    z.string(),
    'Kind of content: text, template, image, document, audio, video, interactive (inbound also: sticker, location, button, reaction, email, unsupported...); note for a private note of the team, never sent.',
    'text',
  ),
  text: describe(
    z.string().nullable(),
    'Text, caption, rendered template body or a readable rendering of the content.',
    'Namaste!',
  ),
  template: describe(
    z
      .object({
        name: describe(z.string(), 'Template name.', 'appointment_reminder'),
        language: describe(z.string(), 'Template language.', 'en'),
        variables: describe(z.array(z.string()), 'Values in placeholder order.', ['Ava']),
      })
      .nullable(),
    'The template used, if any.',
  ),
  media: describe(
    z
      .object({
        url: describe(z.string().nullable(), 'URL of the media.', 'https://example.com/a.jpg'),
        media_id: describe(
          z.string().nullable(),
          'The uploaded file it was sent from (`POST /v1/media`), if any.',
          null,
        ).optional(),
        caption: describe(z.string().nullable(), 'Caption.', null),
        filename: describe(z.string().nullable(), 'File name.', null),
        mime_type: describe(z.string().nullable(), 'MIME type, when known.', 'image/jpeg'),
        download_url: describe(
          z.string(),
          "Where to get the file through Parley (same API key): a customer's media is fetched from the provider with the channel's credentials.",
          '/v1/messages/msg_01JD5Z8Q4X3N2M1K0H9G8F7E6D/media',
        ),
        download_error: describe(
          z
            .object({
              code: describe(z.string(), 'Why.', 'media_too_large'),
              message: describe(
                z.string(),
                'What happened.',
                'The file is 120 MB; Parley keeps up to 25 MB.',
              ),
            })
            .nullable(),
          "Why Parley could not keep a copy of a customer's media (then `download_url` still asks the provider, while it keeps the file).",
          null,
        ).optional(),
      })
      .nullable(),
    "Media of an image, document, audio, video or sticker message (a customer's too); null when the message has none.",
  ),
  attachments: describe(
    z.array(
      z.object({
        id: describe(z.string(), 'Attachment id.', 'att_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
        filename: describe(z.string().nullable(), 'File name, as sent.', 'invoice.pdf'),
        mime_type: describe(z.string(), 'MIME type.', 'application/pdf'),
        size: describe(z.number().int(), 'Size in bytes.', 48213),
        content_id: describe(z.string().nullable(), 'MIME Content-ID (inline images).', null),
        download_url: describe(
          z.string(),
          'Where to get the file through Parley (same API key).',
          '/v1/messages/msg_01JD5Z8Q4X3N2M1K0H9G8F7E6D/media?attachment=att_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
        ),
      }),
    ),
    'Files that came with the message (email attachments), kept with it.',
    [],
  ),
  interactive: describe(
    z.record(z.string(), z.unknown()).nullable(),
    "Interactive content (buttons or list), or the customer's choice; for other inbound content what the provider said about it (an order's products, a location, a number change, the click-to-WhatsApp ad in `referral`).",
    null,
  ),
  story: describe(
    z
      .object({
        type: describe(
          z.enum(['mention', 'reply']),
          "`mention`: the customer mentioned the business in their Instagram story; `reply`: they replied to the business's story.",
          'mention',
        ),
        url: describe(
          z.string().nullable(),
          "The story's address at Instagram (it expires with the story, after 24 hours); null when Instagram gave none.",
          'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17890',
        ),
      })
      .nullable(),
    'The Instagram story the message is about (also in `interactive.story_mention` or `interactive.story_reply`); null for any other message.',
    null,
  ),
  to: describe(z.string(), 'Recipient address.', '+919876543210'),
  from: describe(z.string(), 'Sender address.', '+14155550123'),
  status: describe(
    z.enum(['received', 'queued', 'sent', 'delivered', 'read', 'failed']),
    'Outbound: queued → sent → delivered → read, or failed; it only moves forward. Inbound: received. A private note (type note) stays received: it is never sent.',
    'queued',
  ),
  error: describe(
    z
      .object({
        code: describe(z.string(), 'Error code.', 'whatsapp_outside_24h_window'),
        message: describe(z.string(), 'What went wrong.', 'Re-engagement message'),
      })
      .nullable(),
    'Why it failed (status failed).',
  ),
  provider_message_id: describe(
    z.string().nullable(),
    "The provider's id for it (e.g. a WhatsApp wamid).",
    'wamid.HBgM...',
  ),
  pricing: describe(
    z
      .object({
        billable: describe(
          z.boolean().nullable(),
          'Meta `pricing.billable`: whether Meta charges for it.',
          true,
        ),
        pricing_model: describe(
          z.string().nullable(),
          'Meta `pricing.pricing_model`: `PMP` (per message, since July 2025) or `CBP` (per conversation, before).',
          'PMP',
        ),
        category: describe(
          z.string().nullable(),
          'Meta `pricing.category`: marketing, utility, authentication, authentication_international, service, referral_conversion, marketing_lite...',
          'marketing',
        ),
        type: describe(
          z.string().nullable(),
          'Meta `pricing.type` when given (PMP): regular, free_customer_service, free_entry_point.',
          'regular',
        ),
        market: describe(
          z.string().nullable(),
          "The recipient's country (ISO 3166 alpha-2) read from the number: the rate card's market (null: no phone).",
          'IN',
        ),
      })
      .nullable()
      .optional(),
    "An outbound WhatsApp message's pricing as Meta's status webhooks give it (null until one carried it). The costs report counts it (docs/reports.md).",
  ),
  queued_at: nullableTimestamp('When it was accepted for sending'),
  sent_at: nullableTimestamp('When the provider accepted it'),
  delivered_at: nullableTimestamp('When it reached the device'),
  read_at: nullableTimestamp('When the customer read it'),
  failed_at: nullableTimestamp('When it failed'),
  edited_at: nullableTimestamp('When the customer edited it (its text and caption are the edited ones)'),
  deleted_at: nullableTimestamp('When the customer deleted it (its text and media are gone)'),
});

export const messagesQuery = listQuery({
  order: describe(
    z.enum(['asc', 'desc']),
    'asc: oldest first (default); desc: newest first.',
    'desc',
  ).optional(),
  before: idOf('msg', 'Only messages older than this one.').optional(),
  after: idOf('msg', 'Only messages newer than this one.').optional(),
});
