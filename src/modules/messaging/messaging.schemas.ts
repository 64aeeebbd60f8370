import { z } from 'zod';
import { baseObject, describe, idOf, listQuery, nullableTimestamp } from '../../platform/http/schemas.ts';
import { channelTypes } from '../channels/index.ts';
import { messageTypes } from './content.ts';

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
              'Public https URL of the file.',
              'https://example.com/menu.jpg',
            ),
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
      z.enum(['button', 'list']),
      'Reply buttons (up to 3) or a list (up to 10 rows).',
      'button',
    ),
    body: describe(
      z.string().min(1).max(5000),
      'Body text (at most 1,024 characters).',
      'Which time suits you?',
    ),
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
  queued_at: nullableTimestamp('When it was accepted for sending'),
  sent_at: nullableTimestamp('When the provider accepted it'),
  delivered_at: nullableTimestamp('When it reached the device'),
  read_at: nullableTimestamp('When the customer read it'),
  failed_at: nullableTimestamp('When it failed'),
  edited_at: nullableTimestamp('When the customer edited it (its text and caption are the edited ones)'),
  deleted_at: nullableTimestamp('When the customer deleted it (its text and media are gone)'),
});

export const templateBody = {
  category: describe(
    z.enum(['marketing', 'utility', 'authentication']),
    'WhatsApp template category.',
    'utility',
  ),
  body: describe(
    z.string().min(1).max(1024),
    'Body with `{{1}}`-style or `{{name}}`-style placeholders (not mixed).',
    'Hi {{1}}, your appointment is on {{2}}.',
  ),
  header: describe(
    z
      .union([
        z.strictObject({
          type: describe(z.literal('text'), 'Header kind.', 'text'),
          text: describe(z.string().min(1).max(60), 'Header text (at most one placeholder).', 'Reminder'),
        }),
        z.strictObject({
          type: describe(
            z.enum(['image', 'video', 'document']),
            'A media header: the file is given with each send (`template.header.media`).',
            'image',
          ),
        }),
      ])
      .nullable(),
    'Optional header: text, or an image, video or document (then `examples.header_handle` is required: Meta reviews the template on that sample).',
  ).optional(),
  footer: describe(
    z.string().min(1).max(60).nullable(),
    'Optional footer.',
    'Reply STOP to opt out',
  ).optional(),
  buttons: describe(
    z
      .array(
        z.strictObject({
          type: describe(z.enum(['quick_reply', 'url', 'phone_number']), 'Button kind.', 'quick_reply'),
          text: describe(z.string().min(1).max(25), 'Button label.', 'Confirm'),
          url: describe(
            z.string().url().max(2000),
            'Target URL (url buttons).',
            'https://example.com/booking',
          ).optional(),
          phone_number: describe(
            z.string().min(3).max(20),
            'Number to call (phone_number buttons).',
            '+14155550123',
          ).optional(),
        }),
      )
      .max(10),
    'Optional buttons. A url button may end its URL with one placeholder (`https://example.com/order/{{1}}`).',
  ).optional(),
  examples: describe(
    z.strictObject({
      header: describe(
        z.union([
          z.array(z.union([z.string(), z.number()]).transform(String)).max(100),
          z.record(z.string(), z.union([z.string(), z.number()])),
        ]),
        "Sample value for the header's placeholder.",
        ['May 12'],
      ).optional(),
      body: describe(
        z.union([
          z.array(z.union([z.string(), z.number()]).transform(String)).max(100),
          z.record(z.string(), z.union([z.string(), z.number()])),
        ]),
        "Sample values for the body's placeholders: a list in order, or an object by name.",
        ['Ava', 'Friday 3 pm'],
      ).optional(),
      buttons: describe(
        z
          .array(
            z.strictObject({
              index: describe(z.number().int().min(0).max(9), 'Position of the url button (from 0).', 0),
              value: describe(
                z.string().min(1).max(2000),
                'Sample value for its placeholder.',
                'booking/8812',
              ),
            }),
          )
          .max(10),
        'Sample values for url buttons with a placeholder.',
      ).optional(),
      header_handle: describe(
        z.union([
          z.string().min(1).max(2000),
          // Meta's own field is a list of handles: its first is the sample.
          z
            .array(z.string().min(1).max(2000))
            .min(1)
            .max(1)
            .transform((list) => list[0]),
        ]),
        "A media header's sample: the handle Meta's Resumable Upload API returned for an uploaded sample file (or Meta's own `[handle]` list).",
        '4::aW1hZ2UvanBlZw==:ARb_sample_handle',
      ).optional(),
    }),
    "Sample values Meta's review requires for the placeholders (header, body, url buttons); without them Parley submits made-up text samples, which Meta may reject. A media header always needs `header_handle` (a file sample cannot be made up).",
  ).optional(),
};

export const createTemplateBody = z.strictObject({
  name: describe(
    z.string().regex(/^[a-z0-9_]{1,512}$/, 'must be lowercase letters, digits and underscores'),
    'Template name (lowercase, digits, underscores).',
    'appointment_reminder',
  ),
  language: describe(
    z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'must be a language code such as en or en_US'),
    'Language code.',
    'en',
  ),
  ...templateBody,
});

export const updateTemplateBody = z.strictObject({
  category: templateBody.category.optional(),
  body: templateBody.body.optional(),
  header: templateBody.header,
  footer: templateBody.footer,
  buttons: templateBody.buttons,
  examples: templateBody.examples,
  status: describe(
    z.enum(['pending', 'approved', 'rejected', 'paused']),
    'Test mode only: set the review status to rehearse it.',
    'rejected',
  ).optional(),
});

export const templateObject = z.object({
  ...baseObject('tpl', 'template'),
  name: describe(z.string(), 'Template name.', 'appointment_reminder'),
  language: describe(z.string(), 'Language code.', 'en'),
  category: templateBody.category,
  body: describe(z.string(), 'Body with placeholders.', 'Hi {{1}}, your appointment is on {{2}}.'),
  header: describe(
    z
      .object({
        type: describe(z.enum(['text', 'image', 'video', 'document']), 'Header kind.', 'text'),
        text: describe(z.string(), 'Header text (text headers).', 'Reminder').optional(),
      })
      .nullable(),
    'Header: text, or a media kind whose file each send gives.',
    null,
  ),
  footer: describe(z.string().nullable(), 'Footer.', null),
  buttons: describe(
    z.array(
      z.object({
        type: describe(z.string(), 'Button kind: quick_reply, url or phone_number.', 'quick_reply'),
        text: describe(z.string(), 'Button label.', 'Confirm'),
        url: describe(z.string(), 'Target URL (url buttons).', 'https://example.com/booking').optional(),
        phone_number: describe(
          z.string(),
          'Number to call (phone_number buttons).',
          '+14155550123',
        ).optional(),
      }),
    ),
    'Buttons.',
    [],
  ),
  placeholders: describe(z.array(z.string()), 'The placeholders of the body, in order.', ['1', '2']),
  status: describe(
    z.enum(['pending', 'approved', 'rejected', 'paused']),
    'Review status: only approved templates can be sent.',
    'approved',
  ),
  status_reason: describe(z.string().nullable(), 'Why it was rejected or paused.', null),
  quality: describe(
    z.string().nullable(),
    "Meta's quality rating of the template (`green`, `yellow`, `red`, `unknown`), from template sync and Meta's quality webhooks; null when not known.",
    'green',
  ),
});

/** `GET /v1/conversations/{id}/messages`. */
export const messagesQuery = listQuery({
  order: describe(
    z.enum(['asc', 'desc']),
    'asc: oldest first (default); desc: newest first.',
    'desc',
  ).optional(),
  before: idOf('msg', 'Only messages older than this one.').optional(),
  after: idOf('msg', 'Only messages newer than this one.').optional(),
});
