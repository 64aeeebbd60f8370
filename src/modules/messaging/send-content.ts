import type { Scope } from '../../platform/db/scope.ts';
import { ApiError, type FieldError, validationFailed } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { fromJson } from '../../platform/json.ts';
import { type ContactRow, consentStopped } from '../contacts/index.ts';
import type { ConversationRow } from '../conversations/index.ts';
import { getMediaFile } from '../media/index.ts';
import {
  type ContentInput,
  type InteractiveInput,
  type MediaInput,
  type MessageType,
  parsePlaceholders,
  renderPlaceholders,
  type TemplateRef,
} from './content.ts';
import type { StoredMedia, StoredTemplate } from './messages.present.ts';
import type { TemplateRow } from './messaging.tables.ts';
import { findTemplateForSend, isMediaHeader, type TemplateHeader } from './templates.service.ts';
import { storedMediaOf } from './uploaded-media.ts';

export interface PreparedContent {
  type: MessageType;
  text: string | null;
  template: StoredTemplate | null;
  media: StoredMedia | null;
  interactive: InteractiveInput | null;
}

export async function prepareContent(
  tx: Tx,
  scope: Scope,
  input: ContentInput,
  contact: ContactRow,
  conversation: ConversationRow | undefined,
): Promise<PreparedContent> {
  const ref = input.type === 'template' ? (input.template as TemplateRef) : undefined;
  const tpl = ref ? await findTemplateForSend(tx.db, scope, ref.name, ref.language) : undefined;
  const content = contentOf(input, tpl, contact, conversation);
  await resolveUploads(tx, scope, content);
  return content;
}

/**
 * A `media_` id names a file uploaded with POST /v1/media (404 when there is none in this
 * workspace and mode); its kind must be the message's (or the template header's): an image is
 * not sent as a video. The stored media takes the file's type and name.
 */
export async function resolveUploads(tx: Tx, scope: Scope, content: PreparedContent): Promise<void> {
  const media = content.media;
  if (media?.media_id) {
    const file = await getMediaFile(tx.db, scope, media.media_id);
    if (file.kind !== content.type)
      throw validationFailed([
        {
          field: `${content.type}.media_id`,
          message: `is a ${file.kind} (${file.mime_type}), not a ${content.type}`,
        },
      ]);
    media.mime_type = file.mime_type;
    if (content.type === 'document') media.filename ??= file.filename;
  }
  const header = content.template?.header_media;
  if (header?.media_id) {
    const file = await getMediaFile(tx.db, scope, header.media_id);
    if (file.kind !== header.type)
      throw validationFailed([
        {
          field: 'template.header.media.media_id',
          message: `is a ${file.kind} (${file.mime_type}), but the template's header is a ${header.type}`,
        },
      ]);
    if (header.type === 'document' && !header.filename && file.filename) header.filename = file.filename;
  }
}

/**
 * A send's stored content: its template (found for it, when the send is one) checked for
 * approval and rendered with the caller's variables, or its text, media or interactive message.
 * Throws the send's own error (template_not_approved, validation_failed). A contact or
 * conversation not yet stored is passed as undefined (or as the conversation it will be made).
 */
export function contentOf(
  input: ContentInput,
  tpl: TemplateRow | undefined,
  contact: Pick<ContactRow, 'id' | 'name' | 'consent_stops'> | undefined,
  conversation: Pick<ConversationRow, 'dynamic_variables'> | undefined,
): PreparedContent {
  if (input.type === 'template') {
    if (!tpl) throw new Error('a template send was prepared without its template');
    // A marketing template is not sent to a contact who stopped marketing messages on WhatsApp
    // (templates are WhatsApp's): refused here, before Meta is asked (it would answer 131050).
    if (tpl.category === 'marketing' && consentStopped(contact, 'whatsapp', 'marketing'))
      throw new ApiError(
        'contact_opted_out',
        `Contact ${contact?.id} stopped marketing messages on WhatsApp; template ${tpl.name} is a marketing template, so nothing was sent.`,
        { details: { contact_id: contact?.id ?? null, reason: 'marketing_stopped' } },
      );
    return templateContent(input.template as TemplateRef, tpl, { contact, conversation });
  }
  if (input.type === 'text')
    return { type: 'text', text: input.text!, template: null, media: null, interactive: null };
  if (input.type === 'interactive')
    return {
      type: 'interactive',
      text: input.interactive!.body ?? null,
      template: null,
      media: null,
      interactive: input.interactive!,
    };
  const m = input[input.type] as MediaInput;
  return {
    type: input.type,
    text: m.caption ?? null,
    template: null,
    media: storedMediaOf(m),
    interactive: null,
  };
}

function approved(tpl: TemplateRow) {
  if (tpl.status === 'approved') return;
  throw new ApiError(
    'template_not_approved',
    `Template ${tpl.name} (${tpl.language}) is ${tpl.status}${tpl.status_reason ? ` (${tpl.status_reason})` : ''}; only approved templates can be sent.`,
    {
      details: { template: tpl.name, template_status: tpl.status },
    },
  );
}

type Variables = TemplateRef['variables'];

/** What a template's named placeholders the caller leaves out are filled from (each may be unknown yet). */
interface PlaceholderSources {
  contact: Pick<ContactRow, 'name'> | undefined;
  conversation: Pick<ConversationRow, 'dynamic_variables'> | undefined;
}

/** Named placeholders the caller leaves out are filled from the conversation's variables and the contact. */
function variablesOf(
  ref: TemplateRef,
  tpl: TemplateRow,
  { contact, conversation }: PlaceholderSources,
): Variables {
  const variables = ref.variables;
  const ph = parsePlaceholders(tpl.body);
  if (typeof ph === 'string' || ph.kind !== 'named' || Array.isArray(variables)) return variables;
  const context: Record<string, unknown> = {
    ...fromJson<Record<string, unknown>>(conversation?.dynamic_variables, {}),
  };
  if (contact?.name) context.name ??= contact.name;
  const borrowed: Record<string, string | number> = {};
  for (const n of ph.names) {
    const v = context[n];
    if (typeof v === 'string' || typeof v === 'number') borrowed[n] = v;
  }
  return { ...borrowed, ...(variables ?? {}) };
}

interface HeaderParts {
  header: { text: string } | null;
  headerValues?: { values: string[]; named?: Record<string, string> };
  headerMedia?: StoredTemplate['header_media'];
}

/** A media header's file: a public URL or an uploaded file (`media_id`); header values do not apply. */
function mediaHeaderOf(
  ref: TemplateRef,
  tpl: TemplateRow,
  type: string,
  errors: FieldError[],
): StoredTemplate['header_media'] {
  const media = ref.header?.media;
  const kind = type as 'image' | 'video' | 'document';
  const filename = media?.filename ? { filename: media.filename } : {};
  let headerMedia: StoredTemplate['header_media'];
  if (media?.media_id && !media.url)
    headerMedia = { type: kind, url: '', media_id: media.media_id, ...filename };
  else if (!media?.url || !/^https?:\/\//i.test(media.url))
    errors.push({
      field: 'template.header.media.url',
      message: `is required: template ${tpl.name} has a ${type} header (a public http(s) URL of the file, or media_id)`,
    });
  else headerMedia = { type: kind, url: media.url, ...filename };
  if (ref.header?.variables)
    errors.push({
      field: 'template.header.variables',
      message: 'is not used: the template header is media',
    });
  return headerMedia;
}

/** The header's media or placeholder values (Meta refuses a count mismatch). */
function headerOf(
  ref: TemplateRef,
  tpl: TemplateRow,
  variables: Variables,
  errors: FieldError[],
): HeaderParts {
  const stored = fromJson<TemplateHeader | null>(tpl.header, null);
  const header = stored && 'text' in stored ? stored : null;
  const headerPh = header ? parsePlaceholders(header.text) : undefined;
  if (stored && isMediaHeader(stored))
    return { header, headerMedia: mediaHeaderOf(ref, tpl, stored.type, errors) };
  if (ref.header?.media) {
    errors.push({
      field: 'template.header.media',
      message: 'is not used: the template header is not media',
    });
    return { header };
  }
  if (header && headerPh && typeof headerPh !== 'string' && headerPh.names.length) {
    let given = ref.header?.variables;
    if (!given && headerPh.kind === 'named' && variables && !Array.isArray(variables))
      given = Object.fromEntries(headerPh.names.filter((n) => n in variables).map((n) => [n, variables[n]]));
    const h = renderPlaceholders(header.text, given, 'template.header.variables');
    if (Array.isArray(h)) {
      errors.push(...h);
      return { header };
    }
    return { header, headerValues: { values: h.values, ...(h.named ? { named: h.named } : {}) } };
  }
  if (ref.header)
    errors.push({
      field: 'template.header',
      message: 'is not used: the template header has no placeholder',
    });
  return { header };
}

/**
 * Each url button's placeholder value; a given index that is no such button is an error. An
 * authentication template's OTP button carries the code, the body's one value (Meta's rule: the
 * button parameter repeats it).
 */
function buttonsOf(ref: TemplateRef, tpl: TemplateRow, errors: FieldError[], code: string | undefined) {
  const tplButtons = fromJson<Array<{ type: string; url?: string }>>(tpl.buttons, []);
  const buttonValues: Array<{ index: number; sub_type: 'url'; value: string }> = [];
  tplButtons.forEach((b, index) => {
    if (b.type === 'otp') {
      if (code !== undefined) buttonValues.push({ index, sub_type: 'url', value: code });
      return;
    }
    const ph = b.type === 'url' && b.url ? parsePlaceholders(b.url) : undefined;
    if (!ph || typeof ph === 'string' || ph.names.length === 0) return;
    const entry = ref.buttons?.find((e) => e.index === index);
    const r = renderPlaceholders(b.url as string, entry?.variables, `template.buttons.${index}.variables`);
    if (Array.isArray(r)) errors.push(...r);
    else buttonValues.push({ index, sub_type: 'url', value: r.values[0] });
  });
  for (const [n, e] of (ref.buttons ?? []).entries()) {
    if (
      !buttonValues.some((b) => b.index === e.index) &&
      !errors.some((x) => x.field.startsWith(`template.buttons.${e.index}.`))
    )
      errors.push({
        field: `template.buttons.${n}.index`,
        message: `is not a url button with a placeholder in template ${tpl.name}`,
      });
  }
  return buttonValues;
}

function templateContent(ref: TemplateRef, tpl: TemplateRow, sources: PlaceholderSources): PreparedContent {
  approved(tpl);
  const variables = variablesOf(ref, tpl, sources);
  const errors: FieldError[] = [];
  const rendered = renderPlaceholders(tpl.body, variables, 'template.variables');
  if (Array.isArray(rendered)) errors.push(...rendered);
  const { header, headerValues, headerMedia } = headerOf(ref, tpl, variables, errors);
  const buttonValues = buttonsOf(ref, tpl, errors, Array.isArray(rendered) ? undefined : rendered.values[0]);
  if (errors.length || Array.isArray(rendered)) throw validationFailed(errors);
  return {
    type: 'template',
    text: rendered.text,
    template: {
      name: tpl.name,
      language: tpl.language,
      variables: rendered.values,
      ...(rendered.named ? { named: rendered.named } : {}),
      ...(header ? { header_text: header.text } : {}),
      ...(headerValues ? { header_values: headerValues.values } : {}),
      ...(headerValues?.named ? { header_named: headerValues.named } : {}),
      ...(headerMedia ? { header_media: headerMedia } : {}),
      ...(buttonValues.length ? { buttons: buttonValues } : {}),
      rendered_body: rendered.text,
    },
    media: null,
    interactive: null,
  };
}
