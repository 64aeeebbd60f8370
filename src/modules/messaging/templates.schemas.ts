import { z } from 'zod';
import { baseObject, describe } from '../../platform/http/schemas.ts';
import { uploadedId } from './messaging.schemas.ts';

/** WhatsApp message templates: what `POST|PATCH /v1/templates` take and what they answer. */
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
      header_media_id: uploadedId(
        "A media header's sample as a file uploaded with POST /v1/media (instead of `header_handle`): Parley uploads it through Meta's Resumable Upload API on submitting and gives Meta the handle. Meta takes an image header's sample as JPEG or PNG up to 5 MB, a video's as MP4 up to 16 MB, a document's as PDF up to 100 MB; another type or size is a 400, and so is a live-mode Meta WhatsApp channel without `credentials.app_id` (the app the sample is uploaded to).",
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
