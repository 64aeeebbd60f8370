import {
  type ChannelConfig,
  ChannelSendError,
  type OutboundMessage,
  type ProviderFile,
} from '../channel-adapter.ts';
import { getFromProvider, postToProvider } from '../provider-http.ts';
import { type GraphError, mapGraphError } from './meta-send.ts';

/**
 * Files uploaded to Parley (`POST /v1/media`) reach WhatsApp two ways, both Meta's documented APIs:
 * - a message's media or a template's media header: `POST /{phone-number-id}/media` (multipart,
 *   `messaging_product=whatsapp`, `type`, `file`) answers a media id, sent as `{id}`; kept per
 *   number and file for a day (Meta keeps uploads 30 days), so a broadcast uploads its file once;
 * - a template's media header sample for review: the Resumable Upload API, `POST /{app-id}/uploads`
 *   (`file_name`, `file_length`, `file_type`) answers an upload session, then `POST /{session}`
 *   with `Authorization: OAuth {token}`, `file_offset: 0` and the bytes answers the `h` handle. The
 *   app is the channel's `credentials.app_id` (the template routes refuse a sample without it).
 */

interface Opts {
  graphUrl: string;
  version: string;
  timeoutMs?: number;
}
const DAY_MS = 86_400_000;
const base = (o: Opts) => `${o.graphUrl.replace(/\/$/, '')}/${o.version}`;

async function graphAnswer(res: Response): Promise<Record<string, any>> {
  const json = (await res.json().catch(() => undefined)) as Record<string, any> | undefined;
  if (!res.ok) throw mapGraphError(res.status, json?.error as GraphError | undefined);
  if (!json)
    throw new ChannelSendError('provider_error', 'Meta answered an upload with a body that is not JSON.', {
      retryable: true,
    });
  return json;
}

/** Uploads each file of the message not yet uploaded to this number; sets its Meta media id. */
export async function uploadOutboundFiles(
  o: Opts,
  cache: Map<string, { id: string; at: number }>,
  channel: ChannelConfig,
  message: OutboundMessage,
): Promise<void> {
  const targets = [message.media, message.template?.headerMedia].filter((m) => m?.file && !m.providerId);
  for (const m of targets) {
    const file = m!.file!;
    const key = `${channel.credentials.phone_number_id}:${file.sha256}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < DAY_MS) {
      m!.providerId = hit.id;
      continue;
    }
    const id = await uploadMedia(o, channel, file);
    if (cache.size > 5_000) cache.clear();
    cache.set(key, { id, at: Date.now() });
    m!.providerId = id;
  }
}

async function uploadMedia(o: Opts, channel: ChannelConfig, file: ProviderFile): Promise<string> {
  const form = new FormData();
  form.set('messaging_product', 'whatsapp');
  form.set('type', file.mimeType);
  form.set(
    'file',
    new Blob([new Uint8Array(file.content)], { type: file.mimeType }),
    file.filename ?? 'file',
  );
  let res: Response;
  try {
    res = await fetch(`${base(o)}/${encodeURIComponent(channel.credentials.phone_number_id ?? '')}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${channel.credentials.access_token ?? ''}` },
      body: form,
      signal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
    });
  } catch (err) {
    throw new ChannelSendError(
      'provider_error',
      `Meta could not be reached to upload the file: ${(err as Error).message}`,
      {
        retryable: true,
      },
    );
  }
  const json = await graphAnswer(res);
  if (typeof json.id !== 'string' || !json.id)
    throw new ChannelSendError('provider_error', 'Meta took the file but answered no media id.');
  return json.id;
}

/** One POST of the sample's bytes from `offset` to the upload session: Meta's answer, or why none came. */
async function sendSampleBytes(
  o: Opts,
  session: string,
  token: string,
  content: Buffer,
  offset: number,
): Promise<{ res: Response } | { broken: string }> {
  try {
    const res = await fetch(`${base(o)}/${session}`, {
      method: 'POST',
      headers: { authorization: `OAuth ${token}`, file_offset: String(offset) },
      body: new Uint8Array(content.subarray(offset)),
      signal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
    });
    if (res.status >= 500) {
      await res.body?.cancel();
      return { broken: `Meta answered HTTP ${res.status}` };
    }
    return { res };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { broken: e.cause?.code ?? e.cause?.message ?? e.message };
  }
}

/** Where an interrupted upload stands: `GET /{session}` answers `{id, file_offset}`. */
async function sessionOffset(o: Opts, session: string, token: string, length: number): Promise<number> {
  const res = await getFromProvider('Meta', `${base(o)}/${session}`, {
    headers: { authorization: `OAuth ${token}` },
    timeoutMs: o.timeoutMs,
  });
  const offset = Number((await graphAnswer(res)).file_offset);
  if (!Number.isInteger(offset) || offset < 0 || offset > length)
    throw new ChannelSendError('provider_error', 'Meta did not say where the interrupted upload stands.', {
      retryable: true,
    });
  return offset;
}

/**
 * A template header sample through Meta's Resumable Upload API: its handle (`header_handle`). An
 * upload cut off mid-way (no answer, or a 5xx) is resumed once from the offset Meta reports.
 */
export async function uploadHeaderSample(
  o: Opts,
  channel: ChannelConfig,
  file: ProviderFile,
): Promise<string> {
  const token = channel.credentials.access_token;
  const app = channel.credentials.app_id;
  if (!token || !app)
    throw new ChannelSendError(
      'channel_not_configured',
      `The WhatsApp channel ${channel.id} has no ${token ? 'app_id' : 'access_token'} (needed to upload a template's header sample); set credentials.${token ? 'app_id' : 'access_token'} with PATCH /v1/channels/${channel.id}.`,
    );
  const q = new URLSearchParams({
    file_name: file.filename ?? 'sample',
    file_length: String(file.content.length),
    file_type: file.mimeType,
  });
  const opened = await postToProvider('Meta', `${base(o)}/${encodeURIComponent(app)}/uploads?${q}`, {
    headers: { authorization: `Bearer ${token}` },
    body: '',
    timeoutMs: o.timeoutMs,
  });
  if (!opened.res.ok) throw mapGraphError(opened.res.status, opened.json?.error as GraphError | undefined);
  const session = opened.json?.id;
  if (typeof session !== 'string' || !session.startsWith('upload:'))
    throw new ChannelSendError('provider_error', 'Meta opened no upload session for the header sample.');
  let sent = await sendSampleBytes(o, session, token, file.content, 0);
  if ('broken' in sent)
    sent = await sendSampleBytes(
      o,
      session,
      token,
      file.content,
      await sessionOffset(o, session, token, file.content.length),
    );
  if ('broken' in sent)
    throw new ChannelSendError(
      'provider_error',
      `The header sample's upload to Meta broke off twice (${sent.broken}).`,
      { retryable: true },
    );
  const json = await graphAnswer(sent.res);
  if (typeof json.h !== 'string' || !json.h)
    throw new ChannelSendError('provider_error', 'Meta took the header sample but answered no handle.');
  return json.h;
}
