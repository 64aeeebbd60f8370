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
 *   with `Authorization: OAuth {token}`, `file_offset: 0` and the bytes answers the `h` handle.
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

/** The app the channel's token belongs to: `credentials.app_id`, else what `GET /debug_token` says. */
async function appIdOf(o: Opts, channel: ChannelConfig, token: string): Promise<string> {
  if (channel.credentials.app_id) return channel.credentials.app_id;
  const res = await getFromProvider(
    'Meta',
    `${base(o)}/debug_token?input_token=${encodeURIComponent(token)}`,
    {
      headers: { authorization: `Bearer ${token}` },
      timeoutMs: o.timeoutMs,
    },
  );
  const json = await graphAnswer(res);
  const id = json.data?.app_id;
  if (id === undefined || id === null)
    throw new ChannelSendError(
      'channel_not_configured',
      `Meta did not say which app the token of channel ${channel.id} belongs to; set credentials.app_id with PATCH /v1/channels/${channel.id}.`,
    );
  return String(id);
}

/** A template header sample through Meta's Resumable Upload API: its handle (`header_handle`). */
export async function uploadHeaderSample(
  o: Opts,
  channel: ChannelConfig,
  file: ProviderFile,
): Promise<string> {
  const token = channel.credentials.access_token;
  if (!token)
    throw new ChannelSendError(
      'channel_not_configured',
      `The WhatsApp channel ${channel.id} has no access_token.`,
    );
  const app = await appIdOf(o, channel, token);
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
  const session = opened.json ?? {};
  if (typeof session.id !== 'string' || !session.id.startsWith('upload:'))
    throw new ChannelSendError('provider_error', 'Meta opened no upload session for the header sample.');
  let res: Response;
  try {
    res = await fetch(`${base(o)}/${session.id}`, {
      method: 'POST',
      headers: { authorization: `OAuth ${token}`, file_offset: '0' },
      body: new Uint8Array(file.content),
      signal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
    });
  } catch (err) {
    throw new ChannelSendError(
      'provider_error',
      `Meta could not be reached to upload the sample: ${(err as Error).message}`,
      {
        retryable: true,
      },
    );
  }
  const json = await graphAnswer(res);
  if (typeof json.h !== 'string' || !json.h)
    throw new ChannelSendError('provider_error', 'Meta took the header sample but answered no handle.');
  return json.h;
}
