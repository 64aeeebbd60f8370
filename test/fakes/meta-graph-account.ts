import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeNumber } from './meta-graph.ts';

/**
 * The account side of the fake Graph API (what the channel doctor and media uploads ask), as
 * Meta documents it:
 * - `GET /debug_token?input_token=` → `{data: {app_id, type, application, expires_at, is_valid, scopes, ...}}`
 * - `GET /{waba_id}/subscribed_apps` → `{data: [{whatsapp_business_api_data: {id, link, name}}]}`; POST subscribes
 * - `GET /{phone_number_id}?fields=` → the number's `verified_name`, `display_phone_number`,
 *   `quality_rating`, `platform_type`, `status`, `name_status`, `messaging_limit_tier`, ...
 * - `GET /{app_id}/subscriptions` with the app access token (`{app_id}|{app_secret}`) → `{data: [{object, callback_url, active, fields: [{name, version}]}]}`
 * - Resumable Upload: `POST /{app_id}/uploads?file_name&file_length&file_type` → `{id: "upload:..."}`,
 *   then `POST /{upload_id}` with `Authorization: OAuth {token}`, `file_offset: 0` and the bytes → `{h: handle}`;
 *   an interrupted upload is resumed from what `GET /{upload_id}` answers (`{id, file_offset}`), with
 *   `file_offset` set to it and the rest of the bytes
 */

export interface FakeAccountState {
  appId: string;
  appName: string;
  /** Per access token: what debug_token says of it. */
  tokens: Map<string, { isValid: boolean; scopes: string[]; expiresAt: number }>;
  /** WABA ids with the app subscribed. */
  subscribed: Set<string>;
  /** Per phone number id: fields Meta answers beyond the basics. */
  numberFields: Map<string, Record<string, unknown>>;
  /** The app's webhook subscription (GET /{app_id}/subscriptions). */
  appSubscription: { callbackUrl: string; fields: string[] } | undefined;
  /** Files uploaded for sending (`POST /{phone_number_id}/media`), by the media id answered. */
  mediaUploads: Map<string, { phoneNumberId: string; type: string; bytes: Buffer; filename: string }>;
  /** Resumable uploads by session id: the bytes received so far; `handle` once they are all there. */
  uploads: Map<string, { fileName: string; length: number; type: string; bytes: Buffer; handle?: string }>;
  /**
   * Scripted breaks of the next upload POSTs, in order: the fake keeps this many bytes of the body,
   * then drops the connection without answering (a network cut mid-way).
   */
  uploadBreaks: number[];
}

export function newAccountState(): FakeAccountState {
  return {
    appId: String(500000000000000 + Math.floor(Math.random() * 1e12)),
    appName: 'Parley Test App',
    tokens: new Map(),
    subscribed: new Set(),
    numberFields: new Map(),
    appSubscription: undefined,
    uploads: new Map(),
    uploadBreaks: [],
    mediaUploads: new Map(),
  };
}

/** A healthy default for a number: registered on the Cloud API, connected, green, tier 1K. */
export function healthyNumber(state: FakeAccountState, number: FakeNumber): void {
  state.tokens.set(number.accessToken, {
    isValid: true,
    scopes: ['whatsapp_business_management', 'whatsapp_business_messaging', 'public_profile'],
    expiresAt: 0,
  });
  state.subscribed.add(number.businessAccountId);
  state.numberFields.set(number.phoneNumberId, {
    verified_name: 'Lucky Shrub',
    code_verification_status: 'VERIFIED',
    quality_rating: 'GREEN',
    platform_type: 'CLOUD_API',
    status: 'CONNECTED',
    name_status: 'APPROVED',
    messaging_limit_tier: 'TIER_1K',
  });
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const graphError = (res: ServerResponse, status: number, code: number, message: string) =>
  json(res, status, {
    error: { message, type: 'OAuthException', code, fbtrace_id: `A${randomBytes(6).toString('hex')}` },
  });

/**
 * Answers the request when it is one of the account calls above (true), else leaves it to the
 * rest of the fake (false).
 */
export function handleAccount(
  state: FakeAccountState,
  numbers: Map<string, FakeNumber>,
  version: string,
  req: IncomingMessage,
  res: ServerResponse,
  raw: Buffer,
): boolean {
  const url = new URL(req.url ?? '', 'http://x');
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0] !== version) return false;
  const auth = String(req.headers.authorization ?? '');
  const token = auth.replace(/^(Bearer|OAuth) /, '');
  const [, object, edge] = parts;
  const all = [...numbers.values()];
  if (req.method === 'GET' && object === 'debug_token' && parts.length === 2) {
    const input = url.searchParams.get('input_token') ?? '';
    const known = state.tokens.get(input);
    if (!known || !all.some((n) => n.accessToken === token)) {
      graphError(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token');
      return true;
    }
    json(res, 200, {
      data: {
        app_id: state.appId,
        type: 'SYSTEM_USER',
        application: state.appName,
        data_access_expires_at: 0,
        expires_at: known.expiresAt,
        is_valid: known.isValid,
        issued_at: 1730000000,
        scopes: known.scopes,
        granular_scopes: known.scopes.map((scope) => ({ scope })),
        user_id: '100000000000001',
      },
    });
    return true;
  }
  if (edge === 'subscribed_apps' && parts.length === 3) {
    const number = all.find((n) => n.businessAccountId === object);
    if (!number) {
      graphError(res, 400, 100, `Object with ID '${object}' does not exist`);
      return true;
    }
    if (token !== number.accessToken) {
      graphError(res, 401, 190, 'Invalid OAuth access token');
      return true;
    }
    if (req.method === 'POST') {
      state.subscribed.add(object!);
      json(res, 200, { success: true });
      return true;
    }
    json(res, 200, {
      data: state.subscribed.has(object!)
        ? [
            {
              whatsapp_business_api_data: {
                id: state.appId,
                link: 'https://www.example.com/',
                name: state.appName,
              },
            },
          ]
        : [],
    });
    return true;
  }
  if (req.method === 'GET' && edge === 'subscriptions' && object === state.appId) {
    const secretOk = all.some((n) => token === `${state.appId}|${n.appSecret}`);
    if (!secretOk) {
      graphError(res, 400, 190, 'Invalid OAuth access token');
      return true;
    }
    const sub = state.appSubscription;
    json(res, 200, {
      data: sub
        ? [
            {
              object: 'whatsapp_business_account',
              callback_url: sub.callbackUrl,
              active: true,
              fields: sub.fields.map((name) => ({ name, version: version })),
            },
          ]
        : [],
    });
    return true;
  }
  if (req.method === 'POST' && edge === 'media' && object && numbers.has(object) && parts.length === 3) {
    const number = numbers.get(object)!;
    if (token !== number.accessToken) {
      graphError(res, 401, 190, 'Invalid OAuth access token');
      return true;
    }
    void uploadMedia(state, object, req, raw, res);
    return true;
  }
  if (req.method === 'POST' && edge === 'uploads' && object === state.appId && parts.length === 3)
    return answered(() => startUpload(state, all, url, token, res));
  if (req.method === 'POST' && object?.startsWith('upload:') && parts.length === 2)
    return answered(() => continueUpload(state, all, object, auth, req, raw, res));
  if (req.method === 'GET' && object?.startsWith('upload:') && parts.length === 2)
    return answered(() => uploadOffset(state, all, object, auth, res));
  if (
    req.method === 'GET' &&
    parts.length === 2 &&
    object &&
    numbers.has(object) &&
    url.searchParams.has('fields')
  ) {
    const number = numbers.get(object)!;
    if (token !== number.accessToken) {
      graphError(res, 401, 190, 'Invalid OAuth access token');
      return true;
    }
    json(res, 200, {
      display_phone_number: number.displayPhoneNumber,
      ...(state.numberFields.get(object) ?? { platform_type: 'NOT_APPLICABLE', status: 'PENDING' }),
      id: object,
    });
    return true;
  }
  return false;
}

const answered = (fn: () => void) => {
  fn();
  return true;
};

const UPLOAD_TYPES = new Set(['application/pdf', 'image/jpeg', 'image/jpg', 'image/png', 'video/mp4']);

function startUpload(
  state: FakeAccountState,
  all: FakeNumber[],
  url: URL,
  token: string,
  res: ServerResponse,
) {
  if (!all.some((n) => n.accessToken === token))
    return graphError(res, 401, 190, 'Invalid OAuth access token');
  const fileName = url.searchParams.get('file_name') ?? '';
  const length = Number(url.searchParams.get('file_length'));
  const type = url.searchParams.get('file_type') ?? '';
  if (!fileName || !Number.isInteger(length) || length <= 0)
    return graphError(res, 400, 100, '(#100) file_name and file_length are required');
  if (!UPLOAD_TYPES.has(type))
    return graphError(
      res,
      400,
      100,
      `(#100) Param file_type must be one of {${[...UPLOAD_TYPES].join(', ')}}`,
    );
  const id = `upload:${Buffer.from(randomBytes(12)).toString('base64url')}`;
  state.uploads.set(id, { fileName, length, type, bytes: Buffer.alloc(0) });
  return json(res, 200, { id });
}

// Meta's upload session takes `Authorization: OAuth {user-access-token}`, not Bearer.
const oauthOk = (all: FakeNumber[], auth: string) =>
  auth.startsWith('OAuth ') && all.some((n) => `OAuth ${n.accessToken}` === auth);

/** `GET /{upload_id}`: where an interrupted upload stands, to resume from. */
function uploadOffset(
  state: FakeAccountState,
  all: FakeNumber[],
  id: string,
  auth: string,
  res: ServerResponse,
) {
  if (!oauthOk(all, auth)) return graphError(res, 401, 190, 'Invalid OAuth access token');
  const upload = state.uploads.get(id);
  if (!upload) return graphError(res, 400, 100, 'Upload session not found');
  return json(res, 200, { id, file_offset: upload.bytes.length });
}

/**
 * `POST /{upload_id}` with `file_offset` (where these bytes start: what the session holds so far)
 * and the rest of the file; answers the handle once the session holds `file_length` bytes.
 */
function continueUpload(
  state: FakeAccountState,
  all: FakeNumber[],
  id: string,
  auth: string,
  req: IncomingMessage,
  raw: Buffer,
  res: ServerResponse,
) {
  if (!oauthOk(all, auth)) return graphError(res, 401, 190, 'Invalid OAuth access token');
  const upload = state.uploads.get(id);
  if (!upload) return graphError(res, 400, 100, 'Upload session not found');
  const offset = req.headers.file_offset;
  if (offset === undefined || String(offset) !== String(upload.bytes.length))
    return graphError(
      res,
      400,
      100,
      `(#100) file_offset must be ${upload.bytes.length} (the bytes this session holds), got ${offset ?? 'none'}`,
    );
  if (upload.bytes.length + raw.length !== upload.length)
    return graphError(
      res,
      400,
      100,
      `(#100) Expected ${upload.length - upload.bytes.length} bytes from offset ${upload.bytes.length}, got ${raw.length}`,
    );
  const cut = state.uploadBreaks.shift();
  if (cut !== undefined) {
    upload.bytes = Buffer.concat([upload.bytes, raw.subarray(0, cut)]);
    res.socket?.destroy();
    return;
  }
  upload.bytes = Buffer.concat([upload.bytes, raw]);
  upload.handle = `4::${Buffer.from(`${upload.type}:${randomBytes(16).toString('hex')}`).toString('base64')}`;
  return json(res, 200, { h: upload.handle });
}

const SEND_TYPES =
  /^(image\/(jpeg|png|webp)|audio\/(aac|amr|mpeg|mp4|ogg)|video\/(mp4|3gpp)|application\/pdf|text\/plain|application\/(msword|vnd\.[\w.-]+))$/;

/**
 * Meta's "Upload media": multipart with `messaging_product=whatsapp`, `type` (the MIME type) and
 * `file`; answers `{id}`.
 */
async function uploadMedia(
  state: FakeAccountState,
  phoneNumberId: string,
  req: IncomingMessage,
  raw: Buffer,
  res: ServerResponse,
) {
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('multipart/form-data'))
    return graphError(res, 400, 100, '(#100) The request must be multipart/form-data');
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
  } catch {
    return graphError(res, 400, 100, '(#100) The multipart body could not be read');
  }
  if (form.get('messaging_product') !== 'whatsapp')
    return graphError(res, 400, 100, '(#100) The parameter messaging_product is required.');
  const file = form.get('file');
  const mime = String(form.get('type') ?? '');
  if (!(file instanceof Blob)) return graphError(res, 400, 100, '(#100) The parameter file is required.');
  if (!SEND_TYPES.test(mime))
    return graphError(res, 400, 100, `(#100) Param type ${mime} is not a supported media type`);
  const id = String(900000000000000 + state.mediaUploads.size + 1);
  state.mediaUploads.set(id, {
    phoneNumberId,
    type: mime,
    bytes: Buffer.from(await file.arrayBuffer()),
    filename: (file as File).name ?? '',
  });
  return json(res, 200, { id });
}
