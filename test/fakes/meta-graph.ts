import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signMetaPayload } from '../../src/modules/channels/whatsapp/meta-protocol.ts';
import { type FakeAccountState, handleAccount, newAccountState } from './meta-graph-account.ts';
import { checkInteractive } from './meta-interactive.ts';

/**
 * A local stand-in for Meta's Graph API (WhatsApp Cloud API). It checks requests as Meta does
 * (Bearer token per phone number id, body shape and required fields), answers as Meta does
 * (including `{error: {message, type, code, error_subcode, fbtrace_id}}` bodies) and, when a
 * webhook target is set, posts signed status webhooks back after each accepted send.
 */

export interface FakeNumber {
  phoneNumberId: string;
  businessAccountId: string;
  displayPhoneNumber: string;
  accessToken: string;
  appSecret: string;
  /** Where to post webhooks for this number (Parley's `/hooks/whatsapp/{channel_id}` URL). */
  webhookUrl?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  at: number;
}

export type ScriptedAnswer =
  | { kind: 'error'; status: number; code: number; message?: string; subcode?: number; retryAfter?: number }
  | { kind: 'hang' }
  | { kind: 'raw'; status: number; body: string };

const TYPES = new Set([
  'text',
  'template',
  'image',
  'document',
  'audio',
  'video',
  'sticker',
  'interactive',
  'location',
  'contacts',
  'reaction',
]);

export class FakeMetaGraph {
  readonly version: string;
  readonly numbers = new Map<string, FakeNumber>();
  readonly requests: RecordedRequest[] = [];
  readonly templates: Array<{ id: string; waba: string; body: any }> = [];
  /** Customers' media, by media id: what `GET /{media-id}` describes and its download URL serves. */
  readonly media = new Map<string, { content: Buffer; mimeType: string; token: string }>();
  /** Answers used, in order, by the next media lookups (`GET /{media-id}`). */
  readonly mediaScript: ScriptedAnswer[] = [];
  /** Templates a WhatsApp Business Account already holds, by WABA id, as Meta's template list answers them. */
  readonly wabaTemplates = new Map<string, Array<Record<string, unknown>>>();
  /** Answers used, in order, by the next template list requests (`GET /{waba_id}/message_templates`). */
  readonly templateListScript: ScriptedAnswer[] = [];
  /** The WhatsApp Business Account's Flows (ids) a flow message may open; others are refused as Meta does. */
  readonly flows = new Set<string>();
  /** Answers used, in order, by the next sends (then normal behaviour resumes). */
  readonly script: ScriptedAnswer[] = [];
  /** Post `sent` then `delivered` status webhooks after each accepted send. */
  statusWebhooks = true;
  /** Runs after a send is accepted and before it is answered (to post statuses that race the answer). */
  beforeAnswer: ((wamid: string, to: string, number: FakeNumber) => Promise<void>) | undefined;
  readonly webhookResults: number[] = [];
  /** The app, tokens, subscriptions, numbers' registration and uploads (meta-graph-account.ts). */
  readonly account: FakeAccountState = newAccountState();
  #server: Server | undefined;
  #hanging = new Set<ServerResponse>();
  #inflight = new Set<Promise<number>>();
  url = '';

  constructor(version = 'v21.0') {
    this.version = version;
  }

  addNumber(n: Partial<FakeNumber> = {}): FakeNumber {
    const id = n.phoneNumberId ?? String(100000000000000 + Math.floor(Math.random() * 1e12));
    const number: FakeNumber = {
      phoneNumberId: id,
      businessAccountId: n.businessAccountId ?? String(200000000000000 + Math.floor(Math.random() * 1e12)),
      displayPhoneNumber: n.displayPhoneNumber ?? '15550001111',
      accessToken: n.accessToken ?? `EAAG${randomBytes(16).toString('hex')}`,
      appSecret: n.appSecret ?? randomBytes(16).toString('hex'),
      webhookUrl: n.webhookUrl,
    };
    this.numbers.set(id, number);
    return number;
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        // The account side (the doctor's reads, "Upload media", Resumable Upload): meta-graph-account.ts.
        if (handleAccount(this.account, this.numbers, this.version, req, res, raw)) {
          this.requests.push({
            method: req.method ?? '',
            path: (req.url ?? '').split('?')[0],
            headers: req.headers,
            body: {},
            at: Date.now(),
          });
          return;
        }
        this.#handle(req, res, raw.toString('utf8')).catch((err) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              error: { message: String(err), type: 'FakeError', code: 1, fbtrace_id: 'fake' },
            }),
          );
        });
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop() {
    for (const res of this.#hanging) res.destroy();
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => this.#server?.close(() => r()) ?? r());
  }

  sends(phoneNumberId?: string) {
    return this.requests.filter(
      (r) =>
        r.path.endsWith('/messages') &&
        !isReadReceipt(r.body) &&
        (!phoneNumberId || r.path.includes(`/${phoneNumberId}/`)),
    );
  }

  /** Read receipts (`status: read`), with or without the typing indicator, by message id. */
  reads(phoneNumberId?: string) {
    return this.requests.filter(
      (r) =>
        r.path.endsWith('/messages') &&
        isReadReceipt(r.body) &&
        (!phoneNumberId || r.path.includes(`/${phoneNumberId}/`)),
    );
  }

  #error(
    res: ServerResponse,
    status: number,
    code: number,
    message: string,
    subcode?: number,
    headers: Record<string, string> = {},
  ) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(
      JSON.stringify({
        error: {
          message,
          type: code === 190 ? 'OAuthException' : 'OAuthException',
          code,
          ...(subcode ? { error_subcode: subcode } : {}),
          error_data: { messaging_product: 'whatsapp', details: message },
          fbtrace_id: `A${randomBytes(8).toString('hex')}`,
        },
      }),
    );
  }

  async #handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const path = (req.url ?? '').split('?')[0];
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return this.#error(res, 400, 100, '(#100) The parameter body is not valid JSON');
    }
    this.requests.push({ method: req.method ?? '', path, headers: req.headers, body, at: Date.now() });
    const parts = path.split('/').filter(Boolean);
    if (req.method === 'GET' && parts.length === 3 && parts[2] === 'message_templates')
      return this.#listTemplates(req, res, parts[0]!, parts[1]!);
    if (req.method === 'GET') return this.#getMedia(req, res, path, parts);
    if (req.method !== 'POST' || parts.length !== 3 || parts[0] !== this.version) {
      return this.#error(res, 400, 100, `Unknown path components: ${path}`);
    }
    const [, objectId, edge] = parts;
    const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (edge === 'messages') {
      const number = this.numbers.get(objectId);
      if (!number)
        return this.#error(
          res,
          400,
          100,
          `Unsupported post request. Object with ID '${objectId}' does not exist`,
          33,
        );
      if (token !== number.accessToken)
        return this.#error(res, 401, 190, 'Invalid OAuth access token - Cannot parse access token');
      const scripted = this.script.shift();
      if (scripted?.kind === 'hang') {
        this.#hanging.add(res);
        return;
      }
      if (scripted?.kind === 'raw') {
        res.writeHead(scripted.status, { 'content-type': 'application/json' });
        return res.end(scripted.body);
      }
      if (scripted?.kind === 'error') {
        return this.#error(
          res,
          scripted.status,
          scripted.code,
          scripted.message ?? `(#${scripted.code}) scripted error`,
          scripted.subcode,
          scripted.retryAfter ? { 'retry-after': String(scripted.retryAfter) } : {},
        );
      }
      // Mark as read, optionally with the typing indicator (Cloud API, "Typing indicators"): the
      // message must be one the number received; `{success: true}`.
      if (isReadReceipt(body)) {
        const typing = body.typing_indicator;
        if (typeof body.message_id !== 'string' || !body.message_id.startsWith('wamid.'))
          return this.#error(res, 400, 100, '(#100) Invalid parameter: message_id');
        if (typing !== undefined && (typing as { type?: unknown })?.type !== 'text')
          return this.#error(res, 400, 100, '(#100) Invalid parameter: typing_indicator.type must be text');
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ success: true }));
      }
      const problem = checkMessage(body, this.flows);
      if (problem?.startsWith('(#131009)')) return this.#error(res, 400, 131009, problem);
      if (problem) return this.#error(res, 400, 100, `(#100) ${problem}`);
      const wamid = `wamid.${Buffer.from(randomBytes(18)).toString('base64url')}`;
      if (this.beforeAnswer) await this.beforeAnswer(wamid, String(body.to), number);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          messaging_product: 'whatsapp',
          // A BSUID send answers with `user_id` instead of `wa_id` (Meta's business-scoped user ids).
          contacts: [
            body.to === undefined
              ? { input: body.recipient, user_id: body.recipient }
              : { input: body.to, wa_id: String(body.to).replace(/^\+/, '') },
          ],
          messages: [{ id: wamid }],
        }),
      );
      if (this.statusWebhooks && number.webhookUrl) {
        setTimeout(() => {
          this.postStatus(number, wamid, String(body.to), 'sent')
            .then(() => this.postStatus(number, wamid, String(body.to), 'delivered'))
            // The app may have closed meanwhile; Meta would retry, the fake just notes it.
            .catch(() => this.webhookResults.push(0));
        }, 5);
      }
      return;
    }
    if (edge === 'message_templates') {
      const number = [...this.numbers.values()].find((n) => n.businessAccountId === objectId);
      if (!number) return this.#error(res, 400, 100, `Object with ID '${objectId}' does not exist`, 33);
      if (token !== number.accessToken) return this.#error(res, 401, 190, 'Invalid OAuth access token');
      const problem = checkTemplate(body);
      if (problem) return this.#error(res, 400, 100, `(#100) ${problem}`);
      if (
        this.templates.some(
          (t) => t.waba === objectId && t.body.name === body.name && t.body.language === body.language,
        )
      ) {
        return this.#error(res, 400, 100, `(#100) Content in this language already exists`, 2388024);
      }
      const id = String(300000000000000 + this.templates.length);
      this.templates.push({ id, waba: objectId, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ id, status: 'PENDING', category: body.category }));
    }
    return this.#error(res, 400, 100, `Unknown edge ${edge}`);
  }

  /**
   * Meta's "Get templates" (`GET /{version}/{waba_id}/message_templates?fields=...&limit=&after=`):
   * `{data: [...], paging: {cursors: {before, after}, next}}`, `next` only when more follow. The
   * token must be the WABA's number's; a scripted error answers as Meta does (e.g. (#200) for a
   * token without whatsapp_business_management).
   */
  #listTemplates(req: IncomingMessage, res: ServerResponse, version: string, waba: string) {
    if (version !== this.version) return this.#error(res, 400, 100, `Unknown version ${version}`);
    const number = [...this.numbers.values()].find((n) => n.businessAccountId === waba);
    if (!number) return this.#error(res, 400, 100, `Object with ID '${waba}' does not exist`, 33);
    const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (token !== number.accessToken) return this.#error(res, 401, 190, 'Invalid OAuth access token');
    const scripted = this.templateListScript.shift();
    if (scripted?.kind === 'error')
      return this.#error(
        res,
        scripted.status,
        scripted.code,
        scripted.message ?? 'scripted error',
        scripted.subcode,
      );
    const q = new URL(req.url ?? '', 'http://x').searchParams;
    const limit = Math.min(Number(q.get('limit') ?? 25) || 25, 100);
    const all = this.wabaTemplates.get(waba) ?? [];
    const start = q.get('after') ? Number(Buffer.from(q.get('after')!, 'base64').toString('utf8')) : 0;
    const page = all.slice(start, start + limit);
    const cursor = (i: number) => Buffer.from(String(i)).toString('base64');
    const more = start + limit < all.length;
    const host = req.headers.host ?? '127.0.0.1';
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(
      JSON.stringify({
        data: page,
        paging: {
          cursors: { before: cursor(start), after: cursor(start + page.length) },
          ...(more
            ? {
                next: `http://${host}/${version}/${waba}/message_templates?limit=${limit}&after=${cursor(start + page.length)}`,
              }
            : {}),
        },
      }),
    );
  }

  /** Keeps a customer's file as Meta does for an inbound media message; returns its media id. */
  addMedia(number: FakeNumber, content: Buffer, mimeType: string): string {
    const id = String(1_000_000_000_000_000 + this.media.size + 1);
    this.media.set(id, { content, mimeType, token: number.accessToken });
    return id;
  }

  /**
   * Meta's "Retrieve media URL" (`GET /{version}/{media-id}` answering `{messaging_product, url,
   * mime_type, sha256, file_size, id}`) and the download of that URL, both with the bearer token
   * of the number the media came to (a wrong or missing token is a 401, as at Meta).
   */
  #getMedia(req: IncomingMessage, res: ServerResponse, path: string, parts: string[]) {
    const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (parts[0] === 'whatsapp_business' && parts[1] === 'attachments') {
      const mid = new URL(req.url ?? '', 'http://x').searchParams.get('mid') ?? '';
      const file = this.media.get(mid);
      if (!file) return this.#error(res, 404, 100, 'Media not found');
      if (token !== file.token) return this.#error(res, 401, 190, 'Invalid OAuth access token');
      res.writeHead(200, { 'content-type': file.mimeType, 'content-length': String(file.content.length) });
      return res.end(file.content);
    }
    if (parts.length !== 2 || parts[0] !== this.version)
      return this.#error(res, 400, 100, `Unknown path ${path}`);
    const scripted = this.mediaScript.shift();
    if (scripted?.kind === 'error')
      return this.#error(
        res,
        scripted.status,
        scripted.code,
        scripted.message ?? 'scripted error',
        scripted.subcode,
      );
    const file = this.media.get(parts[1]!);
    if (!file)
      return this.#error(
        res,
        400,
        100,
        `Unsupported get request. Object with ID '${parts[1]}' does not exist`,
        33,
      );
    if (token !== file.token) return this.#error(res, 401, 190, 'Invalid OAuth access token');
    const host = req.headers.host ?? '127.0.0.1';
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(
      JSON.stringify({
        messaging_product: 'whatsapp',
        url: `http://${host}/whatsapp_business/attachments/?mid=${parts[1]}&ext=${Date.now()}&hash=ATu`,
        mime_type: file.mimeType,
        sha256: createHash('sha256').update(file.content).digest('hex'),
        file_size: file.content.length,
        id: parts[1],
      }),
    );
  }

  /** Signs and posts a webhook body to the number's webhook URL, as Meta does. Returns the HTTP status. */
  async postWebhook(
    number: FakeNumber,
    payload: unknown,
    opts: { secret?: string; rawOverride?: string } = {},
  ): Promise<number> {
    const p = this.#post(number, payload, opts);
    this.#inflight.add(p);
    try {
      return await p;
    } finally {
      this.#inflight.delete(p);
    }
  }

  /** Waits until the status webhooks scheduled after sends have been posted (close the app after this). */
  async settled(): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
  }

  async #post(
    number: FakeNumber,
    payload: unknown,
    opts: { secret?: string; rawOverride?: string },
  ): Promise<number> {
    if (!number.webhookUrl) throw new Error('no webhook url for this number');
    const raw = opts.rawOverride ?? JSON.stringify(payload);
    const res = await fetch(number.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaPayload(raw, opts.secret ?? number.appSecret),
      },
      body: raw,
    });
    await res.arrayBuffer();
    this.webhookResults.push(res.status);
    return res.status;
  }

  postStatus(number: FakeNumber, wamid: string, recipient: string, status: string, errors?: unknown[]) {
    return this.postWebhook(number, statusPayload(number, wamid, recipient, status, errors));
  }

  reviewTemplate(
    number: FakeNumber,
    name: string,
    language: string,
    event: 'APPROVED' | 'REJECTED' | 'PAUSED',
    reason = 'NONE',
  ) {
    return this.postWebhook(number, templatePayload(number, name, language, event, reason));
  }
}

function checkMessage(b: any, flows: Set<string>): string | undefined {
  if (b.messaging_product !== 'whatsapp') return 'The parameter messaging_product is required.';
  // `to` is a phone number; `recipient` a business-scoped user id (Meta's BSUID sends), `to` wins.
  if (b.to === undefined && typeof b.recipient === 'string') {
    if (!/^[A-Za-z]{2}\.[A-Za-z0-9._-]{1,128}$/.test(b.recipient))
      return 'The parameter recipient must be a business-scoped user ID.';
  } else if (typeof b.to !== 'string' || !/^\+?\d{6,15}$/.test(b.to))
    return 'The parameter to is required and must be a phone number.';
  if (!TYPES.has(b.type)) return `Param type must be one of {${[...TYPES].join(', ')}}`;
  const content = b[b.type];
  if (!content || typeof content !== 'object') return `The parameter ${b.type} is required.`;
  if (b.context && typeof b.context.message_id !== 'string') return 'Param context[message_id] is required.';
  switch (b.type) {
    case 'text':
      if (typeof content.body !== 'string' || content.body.length === 0)
        return 'The parameter text[body] is required.';
      if (content.body.length > 4096) return 'Param text[body] must be at most 4096 characters long.';
      return;
    case 'template':
      if (typeof content.name !== 'string' || !content.language?.code)
        return 'Param template[name] and template[language][code] are required.';
      for (const c of content.components ?? []) {
        if (!['header', 'body', 'button'].includes(c.type) || !Array.isArray(c.parameters))
          return 'Param template[components] is invalid.';
        for (const p of c.parameters) {
          if (p.type === 'text' && typeof p.text !== 'string')
            return 'Param template[components][parameters][text] is required.';
          if (
            ['image', 'video', 'document'].includes(p.type) &&
            !/^https?:\/\//.test(p[p.type]?.link ?? '') &&
            !/^\d+$/.test(p[p.type]?.id ?? '')
          )
            return `Param template[components][parameters][${p.type}][link] or [id] is required.`;
        }
      }
      return;
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
      if (!content.link && !content.id) return `Param ${b.type}[link] or ${b.type}[id] is required.`;
      if (content.link && !/^https?:\/\//.test(content.link)) return `Param ${b.type}[link] must be a URL.`;
      if (b.type === 'audio' && content.caption) return 'Param audio[caption] is not allowed.';
      return;
    case 'interactive':
      return checkInteractive(content, flows);
  }
  return;
}

function checkTemplate(b: any): string | undefined {
  if (typeof b.name !== 'string' || !/^[a-z0-9_]{1,512}$/.test(b.name))
    return 'Param name must be lowercase letters, digits and underscores.';
  if (typeof b.language !== 'string') return 'Param language is required.';
  if (!['MARKETING', 'UTILITY', 'AUTHENTICATION'].includes(b.category))
    return 'Param category must be MARKETING, UTILITY or AUTHENTICATION.';
  const bodyComp = Array.isArray(b.components) ? b.components.find((c: any) => c.type === 'BODY') : undefined;
  if (!bodyComp?.text) return 'A BODY component is required.';
  const vars = (bodyComp.text.match(/\{\{[^}]+\}\}/g) ?? []).length;
  // Named templates (`parameter_format: "NAMED"`) give `body_text_named_params`, others `body_text`.
  if (vars > 0 && b.parameter_format === 'NAMED') {
    if (
      !Array.isArray(bodyComp.example?.body_text_named_params) ||
      bodyComp.example.body_text_named_params.length !== vars
    )
      return 'Param components[BODY][example][body_text_named_params] must give one sample per variable.';
  } else if (
    vars > 0 &&
    (!Array.isArray(bodyComp.example?.body_text?.[0]) || bodyComp.example.body_text[0].length !== vars)
  ) {
    return 'Param components[BODY][example][body_text] must give one sample per variable.';
  }
  const header = b.components.find((c: any) => c.type === 'HEADER');
  if (
    ['IMAGE', 'VIDEO', 'DOCUMENT'].includes(header?.format) &&
    (!Array.isArray(header.example?.header_handle) || !header.example.header_handle[0])
  )
    return 'Param components[HEADER][example][header_handle] is required for a media header.';
  if (header?.format === 'TEXT' && /\{\{[^}]+\}\}/.test(header.text ?? '') && !header.example)
    return 'Param components[HEADER][example] is required for a header with a variable.';
  for (const button of b.components.find((c: any) => c.type === 'BUTTONS')?.buttons ?? [])
    if (button.type === 'URL' && /\{\{[^}]+\}\}/.test(button.url ?? '') && !Array.isArray(button.example))
      return 'Param components[BUTTONS][buttons][example] is required for a URL with a variable.';
  return;
}

/**
 * A click-to-WhatsApp ad referral as Meta's text-messages webhook reference shows it ("only
 * included if message sent via a Click to WhatsApp ad").
 */
export const CTWA_REFERRAL = {
  source_url: 'https://fb.me/3cr4Wqqkv',
  source_id: '120226305854810726',
  source_type: 'ad',
  body: 'Chat with us to get 25% off your first order!',
  headline: 'Chat with us',
  media_type: 'image',
  image_url: 'https://scontent.xx.fbcdn.net/v/t45.1600-4/518137_n.png',
  ctwa_clid:
    'Aff-n8ZTODiE79d22KtAwQKj9e_mIEOOj27vDVwFjN80dp4_0NiNhEgpGo0AHemvuSoifXaytfTzcchptiErTKCqTrJ5nW1h7IHYeYymGb5K5J5iTROpBhWAGaIAeUzHL50',
  welcome_message: { text: 'Hi there! Let us know how we can help!' },
};

export function messagesPayload(
  number: FakeNumber,
  messages: unknown[],
  profileName = 'Kerry Fisher',
  waId?: string,
) {
  const first = messages[0] as { from?: string } | undefined;
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: number.businessAccountId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: number.displayPhoneNumber,
                phone_number_id: number.phoneNumberId,
              },
              contacts: [{ profile: { name: profileName }, wa_id: waId ?? first?.from ?? '' }],
              messages,
            },
          },
        ],
      },
    ],
  };
}

export function textMessage(from: string, text: string, id = `wamid.${randomBytes(12).toString('hex')}`) {
  return {
    from: from.replace(/^\+/, ''),
    id,
    timestamp: String(Math.floor(Date.now() / 1000)),
    type: 'text',
    text: { body: text },
  };
}

export function statusPayload(
  number: FakeNumber,
  wamid: string,
  recipient: string,
  status: string,
  errors?: unknown[],
) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: number.businessAccountId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: number.displayPhoneNumber,
                phone_number_id: number.phoneNumberId,
              },
              statuses: [
                {
                  id: wamid,
                  status,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  recipient_id: recipient.replace(/^\+/, ''),
                  ...(errors ? { errors } : {}),
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

export function templatePayload(
  number: FakeNumber,
  name: string,
  language: string,
  event: string,
  reason = 'NONE',
) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: number.businessAccountId,
        time: Math.floor(Date.now() / 1000),
        changes: [
          {
            field: 'message_template_status_update',
            value: {
              event,
              message_template_id: 300000000000000,
              message_template_name: name,
              message_template_language: language,
              reason,
            },
          },
        ],
      },
    ],
  };
}

/** A Cloud API request that marks a received message read (and may show the typing indicator). */
function isReadReceipt(body: unknown): body is { message_id?: unknown; typing_indicator?: unknown } {
  return (body as { status?: unknown } | null)?.status === 'read';
}
