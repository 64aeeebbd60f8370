import type { FieldError } from '../../platform/errors.ts';
import {
  type ChannelType,
  type ContentLimits,
  channelKinds,
  type InteractiveKind,
  type InteractiveParts,
  outboundTypes,
} from '../channels/index.ts';
import { checkRichInteractive, strayParts } from './interactive-rules.ts';

/** Characters as WhatsApp counts them (code points): an emoji is one, not two UTF-16 units. */
export const chars = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

export const messageTypes = outboundTypes;
export type MessageType = (typeof messageTypes)[number];
export const mediaTypes = ['image', 'document', 'audio', 'video'] as const;
export type MediaType = (typeof mediaTypes)[number];

export interface MediaInput {
  /** A public http(s) URL of the file, or (instead) `media_id`. */
  url?: string;
  /** A file uploaded with `POST /v1/media` (`media_...`), instead of `url`. */
  media_id?: string;
  caption?: string;
  filename?: string;
  /** Internal (no API field): the uploaded file's type and name, read when the send is prepared. */
  uploaded?: { mime_type: string; filename: string | null };
}

export interface InteractiveInput extends Omit<InteractiveParts, 'body'> {
  type: InteractiveKind;
  /** Required except for a product message. */
  body?: string;
}

export interface TemplateRef {
  name: string;
  language?: string;
  variables?: string[] | Record<string, string | number>;
  header?: {
    variables?: string[] | Record<string, string | number>;
    media?: { url?: string; media_id?: string; filename?: string };
  };
  buttons?: Array<{ index: number; variables: string[] | Record<string, string | number> }>;
}

export interface ContentInput {
  type: MessageType;
  text?: string;
  template?: TemplateRef;
  image?: MediaInput;
  document?: MediaInput;
  audio?: MediaInput;
  video?: MediaInput;
  interactive?: InteractiveInput;
}

/** Content as callers may give it: `type` can be left out when exactly one content field is present. */
export type ContentDraft = Omit<ContentInput, 'type'> & {
  type?: MessageType;
  /** Internal (no API field): sent on a closed conversation without reopening it (the CSAT question). */
  after_close?: boolean;
};

/**
 * The message type: `type` when given, otherwise the one content field present (SPEC's reply body is
 * `{text | template | image ...}` without `type`). None or several without `type` is a field error.
 */
export function resolveContentType(input: ContentDraft): MessageType | FieldError[] {
  if (input.type) return input.type;
  const present = messageTypes.filter((t) => input[t] !== undefined);
  if (present.length === 1) return present[0];
  if (present.length === 0)
    return [
      { field: 'type', message: `is required: give type, or one content field (${messageTypes.join(', ')})` },
    ];
  return [
    {
      field: 'type',
      message: `is required when several content fields are given (${present.join(', ')}): set type, or send only one of them`,
    },
  ];
}

const tooLong = (field: string, max: number): FieldError => ({
  field,
  message: `must be at most ${max} characters`,
});

/**
 * Cross-field rules of a message's content: the part named by `type` is present and within
 * WhatsApp's limits, and no part of another type is given. Returns every problem found.
 */
export function checkContent(input: ContentInput, channelType: ChannelType): FieldError[] {
  const kind = channelKinds[channelType];
  const limits = kind.limits;
  const errors: FieldError[] = [];
  const parts = ['text', 'template', 'interactive', ...mediaTypes] as const;
  for (const p of parts) {
    if (p !== input.type && input[p] !== undefined)
      errors.push({ field: p, message: `is only used with type ${p}` });
  }
  if (input.type !== 'interactive' && !(kind.messageTypes as readonly MessageType[]).includes(input.type))
    errors.push({
      field: 'type',
      message: `a ${channelType} channel carries ${kind.messageTypes.join(', ')}, not ${input.type}`,
    });
  switch (input.type) {
    case 'text':
      if (input.text === undefined || input.text.trim() === '')
        errors.push({ field: 'text', message: 'is required when type is text' });
      else if (chars(input.text) > limits.text) errors.push(tooLong('text', limits.text));
      // Instagram counts a text's UTF-8 bytes (1,000), not its characters.
      else if (kind.textLimitBytes !== null && Buffer.byteLength(input.text, 'utf8') > kind.textLimitBytes)
        errors.push({
          field: 'text',
          message: `must be at most ${kind.textLimitBytes} bytes in UTF-8 on ${channelType} (this text has ${Buffer.byteLength(input.text, 'utf8')})`,
        });
      break;
    case 'template':
      if (!input.template) errors.push({ field: 'template', message: 'is required when type is template' });
      break;
    case 'interactive':
      if (!(kind.messageTypes as readonly MessageType[]).includes('interactive'))
        errors.push({ field: 'type', message: 'interactive messages need a WhatsApp channel' });
      else if (
        input.interactive &&
        !(kind.interactiveKinds as readonly InteractiveKind[]).includes(input.interactive.type)
      )
        errors.push({
          field: 'interactive.type',
          message: `a ${channelType} channel carries interactive ${kind.interactiveKinds.join(', ')}, not ${input.interactive.type} (a WhatsApp message)`,
        });
      if (!input.interactive)
        errors.push({ field: 'interactive', message: 'is required when type is interactive' });
      else errors.push(...checkInteractive(input.interactive, limits));
      break;
    default:
      errors.push(...checkMedia(input.type, input[input.type], limits));
      // Instagram: a caption goes as its own text message, so the same byte limit holds.
      errors.push(
        ...captionBytes(
          input[input.type]?.caption,
          kind.textLimitBytes,
          `${input.type}.caption`,
          channelType,
        ),
      );
  }
  return errors;
}

function captionBytes(
  caption: string | undefined,
  max: number | null,
  field: string,
  channelType: string,
): FieldError[] {
  if (max === null || caption === undefined || Buffer.byteLength(caption, 'utf8') <= max) return [];
  return [{ field, message: `must be at most ${max} bytes in UTF-8 on ${channelType}` }];
}

function checkMedia(type: MediaType, media: MediaInput | undefined, limits: ContentLimits): FieldError[] {
  if (!media) return [{ field: type, message: `is required when type is ${type}` }];
  const errors: FieldError[] = [];
  if (media.url !== undefined && media.media_id !== undefined)
    errors.push({ field: `${type}.media_id`, message: 'is only used without url: give one of them' });
  else if (media.media_id !== undefined) {
    if (!/^media_[0-9A-Za-z]{1,64}$/.test(media.media_id))
      errors.push({ field: `${type}.media_id`, message: 'must be an id from POST /v1/media (media_...)' });
  } else if (media.url === undefined)
    errors.push({ field: `${type}.url`, message: 'is required: give url, or media_id of an uploaded file' });
  else if (!/^https?:\/\/\S+$/i.test(media.url))
    errors.push({ field: `${type}.url`, message: 'must be an http(s) URL' });
  if (media.caption !== undefined) {
    if (type === 'audio') errors.push({ field: 'audio.caption', message: 'audio takes no caption' });
    else if (chars(media.caption) > limits.caption) errors.push(tooLong(`${type}.caption`, limits.caption));
  }
  if (media.filename !== undefined && type !== 'document') {
    errors.push({ field: `${type}.filename`, message: 'only documents take a filename' });
  }
  return errors;
}

function checkInteractive(i: InteractiveInput, limits: ContentLimits): FieldError[] {
  const errors: FieldError[] = strayParts(i);
  if (i.body !== undefined && chars(i.body) > limits.interactiveBody)
    errors.push(tooLong('interactive.body', limits.interactiveBody));
  if (i.header !== undefined && chars(i.header) > limits.interactiveHeader)
    errors.push(tooLong('interactive.header', limits.interactiveHeader));
  if (i.footer !== undefined && chars(i.footer) > limits.interactiveFooter)
    errors.push(tooLong('interactive.footer', limits.interactiveFooter));
  if (i.type !== 'button' && i.type !== 'list') return [...errors, ...checkRichInteractive(i)];
  if (i.body === undefined || i.body.trim() === '')
    errors.push({ field: 'interactive.body', message: `is required for interactive type ${i.type}` });
  errors.push(...(i.type === 'button' ? checkButtons(i, limits) : checkList(i, limits)));
  return errors;
}

function checkButtons(i: InteractiveInput, limits: ContentLimits): FieldError[] {
  const errors: FieldError[] = [];
  if (i.list) errors.push({ field: 'interactive.list', message: 'is only used with interactive type list' });
  const buttons = i.buttons ?? [];
  if (buttons.length < 1 || buttons.length > limits.buttons) {
    errors.push({ field: 'interactive.buttons', message: `must have 1 to ${limits.buttons} buttons` });
  }
  const ids = new Set<string>();
  buttons.forEach((b, n) => {
    if (chars(b.title) > limits.buttonTitle)
      errors.push(tooLong(`interactive.buttons.${n}.title`, limits.buttonTitle));
    if (ids.has(b.id)) errors.push({ field: `interactive.buttons.${n}.id`, message: 'must be unique' });
    ids.add(b.id);
  });
  return errors;
}

function checkList(i: InteractiveInput, limits: ContentLimits): FieldError[] {
  const errors: FieldError[] = [];
  if (i.buttons)
    errors.push({ field: 'interactive.buttons', message: 'is only used with interactive type button' });
  if (!i.list) {
    errors.push({ field: 'interactive.list', message: 'is required when interactive type is list' });
    return errors;
  }
  if (chars(i.list.button) > limits.listButton)
    errors.push(tooLong('interactive.list.button', limits.listButton));
  if (i.list.sections.length < 1 || i.list.sections.length > limits.listSections) {
    errors.push({
      field: 'interactive.list.sections',
      message: `must have 1 to ${limits.listSections} sections`,
    });
  }
  let rows = 0;
  i.list.sections.forEach((s, si) => {
    if (s.title !== undefined && chars(s.title) > limits.sectionTitle)
      errors.push(tooLong(`interactive.list.sections.${si}.title`, limits.sectionTitle));
    if (s.rows.length === 0)
      errors.push({ field: `interactive.list.sections.${si}.rows`, message: 'must have at least one row' });
    s.rows.forEach((r, ri) => {
      rows++;
      const f = `interactive.list.sections.${si}.rows.${ri}`;
      if (chars(r.title) > limits.rowTitle) errors.push(tooLong(`${f}.title`, limits.rowTitle));
      if (r.description !== undefined && chars(r.description) > limits.rowDescription)
        errors.push(tooLong(`${f}.description`, limits.rowDescription));
    });
  });
  if (rows > limits.listRows)
    errors.push({
      field: 'interactive.list.sections',
      message: `must have at most ${limits.listRows} rows in all`,
    });
  return errors;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

export interface Placeholders {
  kind: 'none' | 'positional' | 'named';
  /** Positional: '1'..'n' in order; named: the names in first-use order. */
  names: string[];
}

/** Reads `{{1}}` or `{{name}}` placeholders; a mix, or positions with gaps, is an error message. */
export function parsePlaceholders(text: string): Placeholders | string {
  const seen: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) if (!seen.includes(m[1])) seen.push(m[1]);
  if (seen.length === 0) return { kind: 'none', names: [] };
  const numeric = seen.filter((n) => /^\d+$/.test(n));
  if (numeric.length > 0 && numeric.length < seen.length)
    return 'mixes positional ({{1}}) and named ({{name}}) placeholders';
  if (numeric.length === 0) return { kind: 'named', names: seen };
  const max = Math.max(...numeric.map(Number));
  for (let n = 1; n <= max; n++)
    if (!numeric.includes(String(n)))
      return `uses {{${max}}} but not {{${n}}}: positions must run from {{1}} without gaps`;
  return { kind: 'positional', names: Array.from({ length: max }, (_, k) => String(k + 1)) };
}

export interface Rendered {
  text: string;
  /** Values in placeholder order. */
  values: string[];
  named?: Record<string, string>;
}

/**
 * Fills a template's placeholders. `variables` is a list (positional) or an object (by name,
 * or by position as `{"1": ...}`). Every placeholder needs a value and no value may be left
 * over; the problems come back as field errors under `fieldPrefix`.
 */
export function renderPlaceholders(
  text: string,
  variables: string[] | Record<string, string | number> | undefined,
  fieldPrefix: string,
): Rendered | FieldError[] {
  const ph = parsePlaceholders(text);
  if (typeof ph === 'string') return [{ field: fieldPrefix, message: `the template ${ph}` }];
  const given: Record<string, string> = {};
  if (Array.isArray(variables)) {
    for (const [i, v] of variables.entries()) given[String(i + 1)] = String(v);
  } else if (variables) for (const [k, v] of Object.entries(variables)) given[k] = String(v);
  const errors: FieldError[] = [];
  for (const name of ph.names) {
    if (given[name] === undefined || given[name].trim() === '')
      errors.push({ field: `${fieldPrefix}.${name}`, message: `is required by the template ({{${name}}})` });
    // WhatsApp refuses such a parameter (error 132018): said now rather than failed at the send.
    else if (/[\n\t]| {5,}/.test(given[name]))
      errors.push({
        field: `${fieldPrefix}.${name}`,
        message: 'must not contain line breaks, tabs or more than 4 spaces in a row (WhatsApp refuses them)',
      });
  }
  for (const k of Object.keys(given)) {
    if (!ph.names.includes(k)) {
      errors.push({
        field: `${fieldPrefix}.${k}`,
        message: ph.names.length
          ? `is not a placeholder of the template (it has ${ph.names.map((n) => `{{${n}}}`).join(', ')})`
          : 'is not used: the template has no placeholders',
      });
    }
  }
  if (errors.length) return errors;
  const out = text.replace(PLACEHOLDER, (_, name: string) => given[name]);
  const values = ph.names.map((n) => given[n]);
  return ph.kind === 'named'
    ? { text: out, values, named: Object.fromEntries(ph.names.map((n) => [n, given[n]])) }
    : { text: out, values };
}

/** A one-line preview for the conversation list. */
export function previewOf(m: { type: string; text?: string | null; caption?: string | null }): string {
  const base = m.text ?? m.caption ?? '';
  const body = base.trim() !== '' ? base : `[${m.type}]`;
  return body.length > 280 ? `${body.slice(0, 279)}…` : body;
}
