import { type ChannelConfig, ChannelSendError } from '../channel-adapter.ts';
import { getFromProvider } from '../provider-http.ts';
import { type GraphError, mapGraphError } from './meta-send.ts';
import { readMetaTemplate, type TemplateReading } from './meta-template-sync.ts';

/** Templates per page asked of Meta, and the most pages read (a WABA holds at most a few thousand). */
const PAGE_SIZE = 100;
const MAX_PAGES = 200;
const FIELDS = 'id,name,language,status,category,components,quality_score,rejected_reason,parameter_format';

/**
 * Reads every template of the channel's WhatsApp Business Account: `GET /{waba_id}/message_templates`
 * page by page (Meta's `paging.cursors.after`, asked of the configured Graph URL, never a URL
 * from the answer). Needs the token's `whatsapp_business_management` permission.
 */
export async function listMetaTemplates(
  opts: { graphUrl: string; version: string; timeoutMs?: number },
  channel: ChannelConfig,
): Promise<TemplateReading[]> {
  const waba = channel.credentials.business_account_id;
  const token = channel.credentials.access_token;
  if (!waba || !token)
    throw new ChannelSendError(
      'channel_not_configured',
      `The WhatsApp channel ${channel.id} needs business_account_id and access_token to read its templates; set them with PATCH /v1/channels/${channel.id}.`,
    );
  const base = `${opts.graphUrl.replace(/\/$/, '')}/${opts.version}/${encodeURIComponent(waba)}/message_templates`;
  const out: TemplateReading[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = new URL(base);
    url.searchParams.set('fields', FIELDS);
    url.searchParams.set('limit', String(PAGE_SIZE));
    if (after) url.searchParams.set('after', after);
    const res = await getFromProvider('Meta', url.toString(), {
      headers: { authorization: `Bearer ${token}` },
      timeoutMs: opts.timeoutMs ?? 30_000,
    });
    const json = (await res.json().catch(() => undefined)) as Record<string, any> | undefined;
    if (!res.ok) throw templateReadError(res.status, json?.error as GraphError | undefined);
    if (!json || !Array.isArray(json.data))
      throw new ChannelSendError('provider_error', 'Meta answered the template list without a data list.', {
        retryable: true,
      });
    for (const t of json.data) if (t && typeof t === 'object') out.push(readMetaTemplate(t));
    const next = json.paging?.cursors?.after;
    if (!json.paging?.next || typeof next !== 'string' || !next || next === after) break;
    after = next;
  }
  return out;
}

/** A refusal of the template list, in words that say what to fix. */
function templateReadError(status: number, error: GraphError | undefined): ChannelSendError {
  const code = error?.code;
  // (#200) / (#10): the token lacks whatsapp_business_management; 190: the token is invalid or expired.
  if (code === 200 || code === 10 || code === 190 || status === 401 || status === 403)
    return new ChannelSendError(
      'channel_not_configured',
      `Meta refused to list this account's templates (Meta ${code ?? `http_${status}`}: ${error?.message ?? 'no message'}). The access token needs the whatsapp_business_management permission and must not be expired: make a system user token with whatsapp_business_management and whatsapp_business_messaging, and set it with PATCH /v1/channels/{id}.`,
      { providerCode: code === undefined ? `http_${status}` : String(code) },
    );
  return mapGraphError(status, error);
}
