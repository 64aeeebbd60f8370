import { ChannelSendError, type OutboundMessage, type OutboundTemplate } from '../channel-adapter.ts';
import { interactiveContent } from './meta-interactive.ts';
import { isBusinessScopedUserId, toWaId } from './meta-protocol.ts';

/** Meta's request bodies for `POST /{phone_number_id}/messages` and its Graph error codes. Pure functions. */

type GraphComponent = {
  type: string;
  sub_type?: string;
  index?: string;
  parameters: Array<Record<string, unknown>>;
};

/** The JSON body of `POST /{version}/{phone_number_id}/messages` for a provider-neutral message. */
export function buildSendBody(message: OutboundMessage): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    // A customer known only by their business-scoped user id is addressed with `recipient`.
    ...(isBusinessScopedUserId(message.to) ? { recipient: message.to } : { to: toWaId(message.to) }),
    type: message.type,
    ...(message.replyToProviderId ? { context: { message_id: message.replyToProviderId } } : {}),
    [message.type]: contentOf[message.type](message),
  };
}

/** The body's part named by the message's type (`text`, `template`, `image`...). */
const contentOf: Record<OutboundMessage['type'], (message: OutboundMessage) => Record<string, unknown>> = {
  text: textContent,
  template: (message) => {
    if (!message.template)
      throw new ChannelSendError('validation_failed', 'A template message needs a template.');
    return templateContent(message.template);
  },
  image: mediaContent,
  video: mediaContent,
  audio: mediaContent,
  document: mediaContent,
  interactive: (message) => {
    if (!message.interactive)
      throw new ChannelSendError('validation_failed', 'An interactive message needs its content.');
    return interactiveContent(message.interactive);
  },
};

function textContent(message: OutboundMessage): Record<string, unknown> {
  if (!message.text) throw new ChannelSendError('validation_failed', 'A text message needs text.');
  return { body: message.text, preview_url: /https?:\/\//.test(message.text) };
}

const textParameters = (values: string[]) => values.map((text) => ({ type: 'text', text }));
const namedTextParameters = (values: Record<string, string>) =>
  Object.entries(values).map(([name, text]) => ({ type: 'text', parameter_name: name, text }));
const hasEntries = (values: Record<string, string> | undefined): values is Record<string, string> =>
  values !== undefined && Object.keys(values).length > 0;

/** A template's header parameters: a media file, named values, or positional values. */
function headerComponent(t: OutboundTemplate): GraphComponent | null {
  if (t.headerMedia) {
    // Meta's media header parameter: {type: image|video|document, <type>: {link, filename?}}.
    // An uploaded file goes by the id Meta gave it (`{id}`), a URL by `{link}`.
    const { type, url, filename, providerId } = t.headerMedia;
    const file = providerId ? { id: providerId } : { link: url };
    return {
      type: 'header',
      parameters: [{ type, [type]: { ...file, ...(type === 'document' && filename ? { filename } : {}) } }],
    };
  }
  if (hasEntries(t.headerNamedParameters))
    return { type: 'header', parameters: namedTextParameters(t.headerNamedParameters) };
  if (t.headerParameters?.length) return { type: 'header', parameters: textParameters(t.headerParameters) };
  return null;
}

function bodyComponent(t: OutboundTemplate): GraphComponent | null {
  if (hasEntries(t.namedParameters))
    return { type: 'body', parameters: namedTextParameters(t.namedParameters) };
  if (t.bodyParameters.length > 0) return { type: 'body', parameters: textParameters(t.bodyParameters) };
  return null;
}

function templateContent(t: OutboundTemplate): Record<string, unknown> {
  const components: GraphComponent[] = [];
  const header = headerComponent(t);
  if (header) components.push(header);
  const body = bodyComponent(t);
  if (body) components.push(body);
  for (const b of t.buttonParameters ?? []) {
    // A url button's parameter is the end of its URL (Meta appends it to the template's URL).
    components.push({
      type: 'button',
      sub_type: b.subType,
      index: String(b.index),
      parameters: [{ type: 'text', text: b.text }],
    });
  }
  return {
    name: t.name,
    language: { code: t.language, policy: 'deterministic' },
    ...(components.length ? { components } : {}),
  };
}

function mediaContent(message: OutboundMessage): Record<string, unknown> {
  const m = message.media;
  if (!m?.url && !m?.providerId)
    throw new ChannelSendError('validation_failed', `A ${message.type} message needs a media url.`);
  const media: Record<string, unknown> = m.providerId ? { id: m.providerId } : { link: m.url };
  // Audio takes no caption on WhatsApp; documents also carry a file name.
  if (m.caption && message.type !== 'audio') media.caption = m.caption;
  if (message.type === 'document' && m.filename) media.filename = m.filename;
  return media;
}

/**
 * A Flow Meta cannot open: a `flow_id` that is not one of this WhatsApp Business Account's
 * Flows (or is deleted, deprecated, blocked, or a draft sent without `mode: draft`). Meta answers
 * such a send with its invalid-parameter errors (`#100` "Invalid parameter", `131009` "Parameter
 * value is not valid", details naming the flow); the message fails with a code that says so.
 */
export function refineSendError(err: unknown, message: OutboundMessage): unknown {
  const flow = message.interactive?.kind === 'flow' ? message.interactive.flow : undefined;
  if (!flow || !(err instanceof ChannelSendError) || err.retryable) return err;
  if (!['100', '131008', '131009'].includes(err.providerCode ?? '')) return err;
  return new ChannelSendError(
    'whatsapp_flow_unavailable',
    `Meta could not open Flow ${flow.flow_id}: check that it exists in this WhatsApp Business Account and is published (or send it with mode draft). ${err.message}`,
    { providerCode: err.providerCode },
  );
}

export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { details?: string };
  fbtrace_id?: string;
}

/**
 * Maps a Graph API error to a send failure. Throughput and pair-rate limits, temporary
 * outages and 5xx answers are retried by the send job; everything else fails the message at once.
 */
export function mapGraphError(httpStatus: number, error: GraphError | undefined): ChannelSendError {
  const code = error?.code;
  const detail = error?.error_data?.details ?? error?.message ?? `HTTP ${httpStatus}`;
  const providerCode = code === undefined ? `http_${httpStatus}` : String(code);
  const fail = (parleyCode: string, message: string, retryable = false, retryAfterMs?: number) =>
    new ChannelSendError(parleyCode, `${message} (Meta ${providerCode}: ${detail})`, {
      retryable,
      providerCode,
      retryAfterMs,
    });
  switch (code) {
    case 131047:
      return fail(
        'whatsapp_outside_24h_window',
        'More than 24 hours since the customer last wrote; send an approved template.',
      );
    case 131026:
      return fail(
        'whatsapp_undeliverable',
        'The message could not be delivered to this number (not on WhatsApp, or an old app).',
      );
    case 130429:
      return fail('whatsapp_rate_limited', "The number's throughput limit was hit.", true, 1000);
    case 131056:
      return fail(
        'whatsapp_pair_rate_limited',
        'Too many messages to this customer in a short time.',
        true,
        6000,
      );
    case 131048:
      return fail(
        'whatsapp_spam_rate_limited',
        'Meta limited sends from this number for spam reports.',
        true,
        60_000,
      );
    case 80007:
    case 4:
      return fail(
        'whatsapp_rate_limited',
        "The business account's API call rate limit was hit.",
        true,
        60_000,
      );
    case 132000:
    case 132012:
      return fail('template_not_approved', 'The template parameters do not match the template.');
    case 132001:
      return fail(
        'template_not_approved',
        'The template does not exist in this language, or is not approved.',
      );
    case 132015:
    case 132016:
      return fail('template_not_approved', 'The template is paused or disabled.');
    case 131050:
      return fail('contact_opted_out', 'The customer stopped marketing messages from this business.');
    case 131049:
      return fail(
        'whatsapp_frequency_capped',
        "Meta held this marketing message back to keep the user's engagement healthy (its per-user marketing limit); a broadcast retries it later.",
      );
    case 131051:
      return fail('validation_failed', 'WhatsApp does not support this message type.');
    case 131052:
    case 131053:
      return fail('whatsapp_media_error', 'The media could not be downloaded or uploaded; check the url.');
    case 131008:
    case 131009:
    case 100:
      return fail('validation_failed', 'Meta rejected a parameter of the message.');
    case 131021:
      return fail('validation_failed', 'The recipient is the sending number itself.');
    case 190:
    case 0:
    case 10:
    case 3:
      return fail('channel_not_configured', 'The access token is invalid, expired or lacks permission.');
    case 133010:
    case 131031:
    case 131042:
    case 368:
      return fail(
        'channel_not_configured',
        'The WhatsApp number or account cannot send right now (registration, lock, payment or policy).',
      );
    case 131000:
    case 131016:
    case 1:
    case 2:
      return fail('provider_error', 'Meta had a temporary problem.', true);
  }
  if (httpStatus === 429) return fail('whatsapp_rate_limited', 'Meta asked us to slow down.', true, 1000);
  if (httpStatus >= 500) return fail('provider_error', 'Meta answered with a server error.', true);
  return fail('provider_error', 'Meta refused the message.');
}
