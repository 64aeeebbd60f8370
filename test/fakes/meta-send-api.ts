import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Meta's Send API for Messenger (`POST /{version}/{page-id}/messages`) and
 * Instagram (`POST /{version}/{ig-user-id}/messages`), checking requests as Meta's reference
 * describes them: a Bearer access token of the sending account, `recipient.id`, `messaging_type`
 * (`RESPONSE`, `UPDATE`, or `MESSAGE_TAG` with a `tag`), `message.text` or `message.attachment`.
 * It enforces the windows as Meta does: a `RESPONSE` more than 24 hours after the person's last
 * message, or a `HUMAN_AGENT` tag more than 7 days after it, is refused with
 * `{error: {code: 10, error_subcode: 2018278}}`; an Instagram text over 1,000 bytes with code 100.
 * Answers `{recipient_id, message_id}`. It also serves attachment files at `/cdn/{name}`
 * (Meta's CDN links need no token).
 */

export interface FakeAccount {
  /** The Page id (Messenger) or Instagram professional account id. */
  id: string;
  kind: 'messenger' | 'instagram';
  accessToken: string;
  appSecret: string;
}

export interface SendRecord {
  accountId: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** When it was accepted (ms). */
  at: number;
}

export class FakeMetaSendApi {
  readonly version: string;
  readonly accounts = new Map<string, FakeAccount>();
  readonly sends: SendRecord[] = [];
  /** Sender actions (typing_on, typing_off, mark_seen) accepted, in order. */
  readonly actions: Array<{ accountId: string; recipient: string; action: string; at: number }> = [];
  /** When each person last wrote to each account (`${account}:${person}` → ms), for the windows. */
  readonly lastInbound = new Map<string, number>();
  readonly files = new Map<string, { content: Buffer; mimeType: string }>();
  /**
   * The people's public profiles by scoped id (Messenger's User Profile API:
   * `GET /{version}/{psid}?fields=first_name,last_name,profile_pic`; Instagram's:
   * `?fields=name,username,profile_pic`), served to a request with one of the accounts' tokens.
   */
  readonly profiles = new Map<string, Record<string, string>>();
  readonly profileReads: string[] = [];
  url = '';
  private server: Server | undefined;
  private n = 0;

  constructor(version = 'v21.0') {
    this.version = version;
  }

  addAccount(kind: FakeAccount['kind']): FakeAccount {
    const account = {
      id: String(17841400000000000 + Math.floor(Math.random() * 1e9)),
      kind,
      accessToken: `EAAG${randomBytes(12).toString('hex')}`,
      appSecret: randomBytes(16).toString('hex'),
    };
    this.accounts.set(account.id, account);
    return account;
  }

  /** Tells the fake that `person` wrote to `account` at `at` (what Meta knows from the conversation). */
  personWrote(account: FakeAccount, person: string, at: number) {
    this.lastInbound.set(`${account.id}:${person}`, at);
  }

  sendsOf(account: FakeAccount) {
    return this.sends.filter((s) => s.accountId === account.id);
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
    const path = (req.url ?? '').split('?')[0];
    const file = /^\/cdn\/(.+)$/.exec(path);
    if (req.method === 'GET' && file) {
      const f = this.files.get(file[1]);
      if (!f) return json(res, 404, { error: { message: 'not found' } });
      res.writeHead(200, { 'content-type': f.mimeType, 'content-length': f.content.length }).end(f.content);
      return;
    }
    const who = new RegExp(`^/${this.version.replace('.', '\\.')}/([0-9]+)$`).exec(path);
    if (req.method === 'GET' && who) return this.profile(req, res, decodeURIComponent(who[1]!));
    const m = new RegExp(`^/${this.version.replace('.', '\\.')}/([^/]+)/messages$`).exec(path);
    if (req.method !== 'POST' || !m) return graphError(res, 400, 100, 'Unsupported post request.');
    const account = this.accounts.get(decodeURIComponent(m[1]));
    if (!account)
      return graphError(res, 400, 100, `Unsupported post request. Object with ID '${m[1]}' does not exist.`);
    if (req.headers.authorization !== `Bearer ${account.accessToken}`)
      return graphError(res, 401, 190, 'Invalid OAuth access token - Cannot parse access token');
    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return graphError(res, 400, 100, 'Invalid JSON');
    }
    // A sender action (Send API, "Sender Actions"): typing_on, typing_off or mark_seen, alone in
    // its request (no message, no messaging_type), within the 24 hours since the person wrote.
    if (body?.sender_action !== undefined) {
      const recipient = body.recipient?.id;
      if (typeof recipient !== 'string')
        return graphError(res, 400, 100, '(#100) The parameter recipient is required');
      if (
        !['typing_on', 'typing_off', 'mark_seen'].includes(body.sender_action) ||
        body.message !== undefined
      )
        return graphError(
          res,
          400,
          100,
          '(#100) Param sender_action must be one of {typing_on, typing_off, mark_seen}',
        );
      const last = this.lastInbound.get(`${account.id}:${recipient}`);
      if (last === undefined || Date.now() - last > 86_400_000)
        return graphError(res, 400, 10, '(#10) This message is sent outside of allowed window.', 2018278);
      this.actions.push({ accountId: account.id, recipient, action: body.sender_action, at: Date.now() });
      return json(res, 200, { recipient_id: recipient });
    }
    const refusal = this.check(account, body);
    if (refusal) return graphError(res, 400, refusal.code, refusal.message, refusal.subcode);
    this.sends.push({ accountId: account.id, headers: req.headers, body, at: Date.now() });
    json(res, 200, {
      recipient_id: body.recipient.id,
      message_id: `m_${account.kind}_${++this.n}_${randomBytes(6).toString('hex')}`,
    });
  }

  private profile(req: IncomingMessage, res: ServerResponse, id: string) {
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    if (![...this.accounts.values()].some((a) => a.accessToken === token))
      return graphError(res, 401, 190, 'Invalid OAuth access token - Cannot parse access token');
    this.profileReads.push(id);
    const profile = this.profiles.get(id);
    // Meta's answer for a person who blocked the page or a profile it will not share.
    if (!profile) return graphError(res, 400, 100, `Object with ID '${id}' does not exist.`, 33);
    const fields = new URL(req.url ?? '', 'http://x').searchParams.get('fields')?.split(',') ?? [];
    json(res, 200, {
      id,
      ...Object.fromEntries(fields.filter((f) => f in profile).map((f) => [f, profile[f]])),
    });
  }

  private check(
    account: FakeAccount,
    body: any,
  ): { code: number; message: string; subcode?: number } | undefined {
    const recipient = body?.recipient?.id;
    if (typeof recipient !== 'string')
      return { code: 100, message: '(#100) The parameter recipient is required' };
    const type = body.messaging_type;
    if (!['RESPONSE', 'UPDATE', 'MESSAGE_TAG'].includes(type))
      return {
        code: 100,
        message: '(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}',
      };
    if (type === 'MESSAGE_TAG' && body.tag !== 'HUMAN_AGENT')
      return { code: 100, message: '(#100) Param tag must be one of {...HUMAN_AGENT...}' };
    const msg = body.message ?? {};
    if (typeof msg.text !== 'string' && !msg.attachment)
      return { code: 100, message: '(#100) Must send either message text or an attachment' };
    if (account.kind === 'instagram' && typeof msg.text === 'string' && Buffer.byteLength(msg.text) > 1000)
      return {
        code: 100,
        message: '(#100) Length of param message[text] must be less than or equal to 1000',
      };
    const last = this.lastInbound.get(`${account.id}:${recipient}`);
    const age = last === undefined ? Number.POSITIVE_INFINITY : Date.now() - last;
    const limit = type === 'MESSAGE_TAG' ? 7 * 86_400_000 : 86_400_000;
    if (age > limit)
      return {
        code: 10,
        subcode: 2018278,
        message: '(#10) This message is sent outside of allowed window.',
      };
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function graphError(res: ServerResponse, status: number, code: number, message: string, subcode?: number) {
  json(res, status, {
    error: {
      message,
      type: 'OAuthException',
      code,
      ...(subcode ? { error_subcode: subcode } : {}),
      fbtrace_id: `A${randomBytes(8).toString('hex')}`,
    },
  });
}
