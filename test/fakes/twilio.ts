import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

/**
 * A local stand-in for Twilio's Messages REST API: `POST /2010-04-01/Accounts/{sid}/Messages.json`,
 * form-encoded with HTTP basic auth (AccountSid:AuthToken), answering 201 with the message
 * resource or Twilio's error body `{code, message, more_info, status}`.
 */

export interface TwilioRequest {
  path: string;
  form: Record<string, string>;
  mediaUrls: string[];
  authorization: string;
}

export type TwilioScripted =
  | { kind: 'error'; status: number; code: number; message?: string }
  | { kind: 'hang' };

export class FakeTwilio {
  readonly accountSid = `AC${randomBytes(16).toString('hex')}`;
  readonly authToken = randomBytes(16).toString('hex');
  readonly requests: TwilioRequest[] = [];
  readonly script: TwilioScripted[] = [];
  #server: Server | undefined;
  #hanging = new Set<ServerResponse>();
  url = '';

  async start() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this.#handle(req, res, Buffer.concat(chunks).toString('utf8')));
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

  #error(res: ServerResponse, status: number, code: number, message: string) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }),
    );
  }

  #handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const path = (req.url ?? '').split('?')[0];
    const params = new URLSearchParams(raw);
    const form = Object.fromEntries(params);
    const authorization = String(req.headers.authorization ?? '');
    this.requests.push({ path, form, mediaUrls: params.getAll('MediaUrl'), authorization });
    const m = path.match(/^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/);
    if (req.method !== 'POST' || !m)
      return this.#error(res, 404, 20404, `The requested resource ${path} was not found`);
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (m[1] !== this.accountSid || authorization !== expected)
      return this.#error(res, 401, 20003, 'Authenticate');
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return this.#error(res, 400, 20001, 'Content-Type must be application/x-www-form-urlencoded');
    }
    const scripted = this.script.shift();
    if (scripted?.kind === 'hang') {
      this.#hanging.add(res);
      return;
    }
    if (scripted?.kind === 'error')
      return this.#error(res, scripted.status, scripted.code, scripted.message ?? 'scripted error');
    if (!form.To) return this.#error(res, 400, 21604, "A 'To' phone number is required.");
    if (!/^\+[1-9]\d{6,14}$/.test(form.To))
      return this.#error(res, 400, 21211, `The 'To' number ${form.To} is not a valid phone number.`);
    if (!form.From && !form.MessagingServiceSid)
      return this.#error(res, 400, 21603, "A 'From' phone number is required.");
    if (!form.Body && params.getAll('MediaUrl').length === 0)
      return this.#error(res, 400, 21602, 'Message body is required.');
    if ((form.Body ?? '').length > 1600)
      return this.#error(res, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const now = new Date().toUTCString();
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        sid,
        account_sid: this.accountSid,
        to: form.To,
        from: form.From,
        body: form.Body ?? '',
        status: 'queued',
        num_media: String(params.getAll('MediaUrl').length),
        direction: 'outbound-api',
        date_created: now,
        date_updated: now,
        error_code: null,
        error_message: null,
        uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}.json`,
      }),
    );
  }

  /** The X-Twilio-Signature Twilio would send for a POST of `params` to `url`. */
  sign(url: string, params: Record<string, string>, authToken = this.authToken) {
    return twilio.getExpectedTwilioSignature(authToken, url, params);
  }
}
