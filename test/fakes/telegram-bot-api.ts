import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Telegram's Bot API, answering as https://core.telegram.org/bots/api says:
 * methods at `POST /bot<token>/<method>` (JSON or multipart/form-data), answers
 * `{ok: true, result}` or `{ok: false, error_code, description}`; a token it does not know is
 * `401 Unauthorized`, as Telegram's. It records `setWebhook`, every send (`sendMessage`,
 * `sendPhoto`, `sendDocument`, `sendAudio`, `sendVideo`, with uploaded files' bytes) and
 * `answerCallbackQuery` and `deleteWebhook`; it serves `getFile` and the file download at
 * `GET /file/bot<token>/<file_path>` for files a test puts in it.
 */

export interface FakeBot {
  /** The bot's id: the digits before the colon of its token. */
  id: string;
  token: string;
}

export interface BotCall {
  botId: string;
  method: string;
  fields: Record<string, any>;
  /** A file uploaded with the call (multipart). */
  upload?: { field: string; filename: string; mimeType: string; content: Buffer };
}

const sendMethods = new Set(['sendMessage', 'sendPhoto', 'sendDocument', 'sendAudio', 'sendVideo']);

export class FakeTelegramBotApi {
  readonly bots = new Map<string, FakeBot>();
  readonly calls: BotCall[] = [];
  /** Files by file_id: the path `getFile` gives and the bytes the download serves. */
  readonly files = new Map<string, { path: string; content: Buffer; mimeType: string }>();
  /** Chats that blocked the bot (sends to them are refused with 403, as Telegram's). */
  readonly blocked = new Set<string>();
  url = '';
  private server: Server | undefined;
  private n = 1000;

  addBot(): FakeBot {
    const id = String(7_000_000_000 + Math.floor(Math.random() * 1e9));
    const bot = { id, token: `${id}:AA${randomBytes(16).toString('base64url')}` };
    this.bots.set(bot.token, bot);
    return bot;
  }

  /** Puts a customer's file in the fake; returns its file_id. */
  addFile(content: Buffer, path: string, mimeType: string): string {
    const id = `AgAC${randomBytes(10).toString('hex')}`;
    this.files.set(id, { path, content, mimeType });
    return id;
  }

  sendsOf(bot: FakeBot) {
    return this.calls.filter((c) => c.botId === bot.id && sendMethods.has(c.method));
  }

  callsOf(bot: FakeBot, method: string) {
    return this.calls.filter((c) => c.botId === bot.id && c.method === method);
  }

  async start() {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop() {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const path = (req.url ?? '').split('?')[0]!;
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(path);
    if (download) {
      if (req.method !== 'GET' || !this.bots.has(decodeURIComponent(download[1]!)))
        return fail(res, 401, 'Unauthorized');
      const file = [...this.files.values()].find((f) => f.path === download[2]);
      if (!file) return fail(res, 404, 'Not Found');
      res
        .writeHead(200, { 'content-type': file.mimeType, 'content-length': file.content.length })
        .end(file.content);
      return;
    }
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(path);
    if (!m) return fail(res, 404, 'Not Found');
    const bot = this.bots.get(decodeURIComponent(m[1]!));
    if (!bot) return fail(res, 401, 'Unauthorized');
    const method = m[2]!;
    let call: BotCall;
    try {
      call = { botId: bot.id, method, ...(await readFields(req, raw)) };
    } catch {
      return fail(res, 400, "Bad Request: can't parse request body");
    }
    const f = call.fields;
    if (method === 'setWebhook') {
      if (typeof f.url !== 'string' || !/^https?:\/\//.test(f.url))
        return fail(res, 400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
      if (f.secret_token !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(f.secret_token))
        return fail(res, 400, 'Bad Request: secret token contains unallowed characters');
      this.calls.push(call);
      return ok(res, true);
    }
    if (method === 'deleteWebhook') {
      this.calls.push(call);
      return ok(res, true);
    }
    if (method === 'answerCallbackQuery') {
      if (typeof f.callback_query_id !== 'string') return fail(res, 400, 'Bad Request: query is too old');
      this.calls.push(call);
      return ok(res, true);
    }
    if (method === 'getFile') {
      const file = this.files.get(String(f.file_id));
      if (!file) return fail(res, 400, 'Bad Request: invalid file_id');
      return ok(res, {
        file_id: f.file_id,
        file_unique_id: 'u',
        file_size: file.content.length,
        file_path: file.path,
      });
    }
    if (!sendMethods.has(method)) return fail(res, 404, 'Not Found: method not found');
    const chat = String(f.chat_id ?? '');
    if (!/^-?\d+$/.test(chat)) return fail(res, 400, 'Bad Request: chat not found');
    if (this.blocked.has(chat)) return fail(res, 403, 'Forbidden: bot was blocked by the user');
    if (method === 'sendMessage' && (typeof f.text !== 'string' || !f.text))
      return fail(res, 400, 'Bad Request: message text is empty');
    const field = { sendPhoto: 'photo', sendDocument: 'document', sendAudio: 'audio', sendVideo: 'video' }[
      method
    ];
    if (field && !call.upload && typeof f[field] !== 'string')
      return fail(res, 400, `Bad Request: there is no ${field} in the request`);
    this.calls.push(call);
    ok(res, {
      message_id: ++this.n,
      date: Math.floor(Date.now() / 1000),
      chat: { id: Number(chat), type: 'private' },
    });
  }
}

async function readFields(req: IncomingMessage, raw: Buffer): Promise<Omit<BotCall, 'botId' | 'method'>> {
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const fields: Record<string, any> = {};
    let upload: BotCall['upload'];
    for (const [k, v] of form.entries()) {
      if (typeof v === 'string') {
        // Telegram takes JSON-serialised objects (reply_markup, reply_parameters) in form fields.
        fields[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
      } else {
        upload = {
          field: k,
          filename: v.name,
          mimeType: v.type,
          content: Buffer.from(await v.arrayBuffer()),
        };
      }
    }
    return { fields, ...(upload ? { upload } : {}) };
  }
  return { fields: raw.length ? JSON.parse(raw.toString('utf8')) : {} };
}

function ok(res: ServerResponse, result: unknown) {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
}

function fail(res: ServerResponse, code: number, description: string) {
  res
    .writeHead(code, { 'content-type': 'application/json' })
    .end(JSON.stringify({ ok: false, error_code: code, description }));
}
