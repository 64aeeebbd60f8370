import { randomBytes } from 'node:crypto';
import type { AppContext } from '../../../platform/context.ts';
import type { ChannelConfig } from '../channel-adapter.ts';
import { getFromProvider } from '../provider-http.ts';
import { graphVersionWarning, NEWEST_GRAPH_VERSION } from './graph-versions.ts';
import { HEALTH_FIELDS } from './meta-health.ts';
import { recordHealth } from './whatsapp.health.ts';

/**
 * The channel doctor: asks Meta about everything a WhatsApp channel needs and answers each check
 * with ok / warn / fail and what to do, in plain words. Checks: the token (`GET /debug_token`:
 * valid, scopes, expiry), the app's subscription to the account (`GET /{waba}/subscribed_apps`),
 * the number (`GET /{phone-number-id}`: registered on the Cloud API, connected; its quality, tier
 * and name are kept as the channel's health), the webhook (Parley's own hook URL answers Meta's
 * verification handshake with the channel's verify token; the app's webhook fields when Meta
 * lets the app secret read them) and the Graph API version (Meta's end of life).
 */

export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface DoctorCheck {
  name: 'token' | 'subscription' | 'number' | 'webhook' | 'graph_version';
  status: CheckStatus;
  message: string;
  fix: string | null;
}

const REQUIRED_SCOPES = ['whatsapp_business_messaging', 'whatsapp_business_management'];
const WEEK_MS = 7 * 86_400_000;
/** The webhook fields Parley reads: messages and statuses, templates, consent, and account health. */
export const WEBHOOK_FIELDS = [
  'messages',
  'message_template_status_update',
  'message_template_quality_update',
  'template_category_update',
  'user_preferences',
  ...HEALTH_FIELDS,
];

interface Graph {
  base: string;
  token: string;
  timeoutMs: number;
}

/** GET on the Graph API: the JSON answer, or Meta's error, or why Meta could not be reached. */
async function graphGet(
  g: Graph,
  path: string,
  token = g.token,
): Promise<{ ok: true; json: Record<string, any> } | { ok: false; error: string; code?: number }> {
  try {
    const res = await getFromProvider('Meta', `${g.base}/${path}`, {
      headers: { authorization: `Bearer ${token}` },
      timeoutMs: g.timeoutMs,
    });
    const json = (await res.json().catch(() => undefined)) as Record<string, any> | undefined;
    if (res.ok && json) return { ok: true, json };
    const e = json?.error as { message?: string; code?: number } | undefined;
    return {
      ok: false,
      error: `Meta ${e?.code ?? `HTTP ${res.status}`}: ${e?.message ?? 'no message'}`,
      ...(typeof e?.code === 'number' ? { code: e.code } : {}),
    };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

const check = (
  name: DoctorCheck['name'],
  status: CheckStatus,
  message: string,
  fix: string | null = null,
) => ({
  name,
  status,
  message,
  fix,
});

const NEW_TOKEN =
  'In Meta Business Settings make a system user token for your app with whatsapp_business_messaging and whatsapp_business_management (expiry: never), then set it with PATCH /v1/channels/{id} (credentials.access_token).';

async function tokenCheck(g: Graph, now: Date): Promise<{ check: DoctorCheck; appId?: string }> {
  const r = await graphGet(g, `debug_token?input_token=${encodeURIComponent(g.token)}`);
  if (!r.ok)
    return {
      check: check('token', 'fail', `Meta did not accept the access token (${r.error}).`, NEW_TOKEN),
    };
  const d = (r.json.data ?? {}) as Record<string, any>;
  const appId = d.app_id === undefined ? undefined : String(d.app_id);
  if (d.is_valid !== true)
    return {
      check: check(
        'token',
        'fail',
        `The access token is no longer valid${d.error?.message ? ` (${d.error.message})` : ''}.`,
        NEW_TOKEN,
      ),
      ...(appId ? { appId } : {}),
    };
  const scopes = Array.isArray(d.scopes) ? d.scopes.map(String) : [];
  const missing = REQUIRED_SCOPES.filter((s) => !scopes.includes(s));
  const expires = Number(d.expires_at);
  let result: DoctorCheck;
  if (missing.length)
    result = check(
      'token',
      'fail',
      `The access token lacks ${missing.join(' and ')}: ${missing.includes('whatsapp_business_messaging') ? 'messages cannot be sent' : 'templates cannot be read, synced or submitted'}.`,
      NEW_TOKEN,
    );
  else if (Number.isFinite(expires) && expires > 0 && expires * 1000 - now.getTime() < WEEK_MS)
    result = check(
      'token',
      expires * 1000 <= now.getTime() ? 'fail' : 'warn',
      `The access token expires on ${new Date(expires * 1000).toISOString().slice(0, 10)}; WhatsApp stops working then.`,
      NEW_TOKEN,
    );
  else
    result = check(
      'token',
      'ok',
      `The token is valid with ${REQUIRED_SCOPES.join(' and ')}${expires > 0 ? `, until ${new Date(expires * 1000).toISOString().slice(0, 10)}` : ' and does not expire'}.`,
    );
  return { check: result, ...(appId ? { appId } : {}) };
}

async function subscriptionCheck(g: Graph, waba: string | undefined): Promise<DoctorCheck> {
  if (!waba)
    return check(
      'subscription',
      'fail',
      'The channel has no business_account_id, so Parley cannot check what the account sends it.',
      'Set credentials.business_account_id (the WhatsApp Business Account id) with PATCH /v1/channels/{id}.',
    );
  const r = await graphGet(g, `${encodeURIComponent(waba)}/subscribed_apps`);
  if (!r.ok)
    return check(
      'subscription',
      'fail',
      `Meta did not list the account's subscribed apps (${r.error}).`,
      NEW_TOKEN,
    );
  const apps = Array.isArray(r.json.data) ? r.json.data : [];
  if (!apps.length)
    return check(
      'subscription',
      'fail',
      'No app is subscribed to this WhatsApp Business Account: Meta sends it no webhooks, so no customer message reaches Parley.',
      `Subscribe your app: POST https://graph.facebook.com/${NEW_GRAPH}/${waba}/subscribed_apps with the channel's access token.`,
    );
  const names = apps.map(
    (a: any) => a?.whatsapp_business_api_data?.name ?? a?.whatsapp_business_api_data?.id ?? 'app',
  );
  return check('subscription', 'ok', `Subscribed: ${names.join(', ')}.`);
}
const NEW_GRAPH = NEWEST_GRAPH_VERSION;

const NUMBER_FIELDS =
  'display_phone_number,verified_name,quality_rating,platform_type,status,name_status,code_verification_status,messaging_limit_tier,whatsapp_business_manager_messaging_limit';

async function numberCheck(ctx: AppContext, g: Graph, channel: ChannelConfig): Promise<DoctorCheck> {
  const id = channel.credentials.phone_number_id;
  if (!id)
    return check(
      'number',
      'fail',
      'The channel has no phone_number_id.',
      'Set credentials.phone_number_id with PATCH /v1/channels/{id}.',
    );
  const r = await graphGet(g, `${encodeURIComponent(id)}?fields=${NUMBER_FIELDS}`);
  if (!r.ok)
    return check('number', 'fail', `Meta did not describe the number ${id} (${r.error}).`, NEW_TOKEN);
  const n = r.json;
  const tier = n.whatsapp_business_manager_messaging_limit ?? n.messaging_limit_tier;
  await recordHealth(ctx, channel, {
    ...(typeof n.quality_rating === 'string' ? { quality: n.quality_rating.toUpperCase() } : {}),
    ...(typeof tier === 'string' ? { tier: tier.toUpperCase() } : {}),
    ...(typeof n.name_status === 'string' ? { nameStatus: n.name_status.toUpperCase() } : {}),
    ...(typeof n.verified_name === 'string' ? { verifiedName: n.verified_name } : {}),
  });
  const platform = String(n.platform_type ?? '');
  const status = String(n.status ?? '').toUpperCase();
  if (platform !== 'CLOUD_API')
    return check(
      'number',
      'fail',
      `The number ${n.display_phone_number ?? id} is not registered on the Cloud API (platform ${platform || 'unknown'}).`,
      `Register it: POST https://graph.facebook.com/${NEW_GRAPH}/${id}/register with {"messaging_product":"whatsapp","pin":"<6-digit PIN>"}. A number still on a BSP's On-Premises API or the WhatsApp Business app must be migrated first (see docs/coming-from/bsp.md).`,
    );
  if (status && status !== 'CONNECTED')
    return check(
      'number',
      status === 'PENDING' ? 'warn' : 'fail',
      `The number ${n.display_phone_number ?? id} is ${status.toLowerCase()} at Meta, not connected.`,
      status === 'PENDING'
        ? 'Finish the number’s verification in WhatsApp Manager (code by SMS or voice) and register it.'
        : 'Open WhatsApp Manager > Phone numbers to see why, then register the number again.',
    );
  const digits = (s: unknown) => String(s ?? '').replace(/\D/g, '');
  if (n.display_phone_number && digits(n.display_phone_number) !== digits(channel.address))
    return check(
      'number',
      'warn',
      `Meta says phone_number_id ${id} is ${n.display_phone_number}, but the channel's address is ${channel.address}.`,
      'Correct the channel’s address or its phone_number_id with PATCH /v1/channels/{id}.',
    );
  return check(
    'number',
    'ok',
    `${n.display_phone_number ?? channel.address} (${n.verified_name ?? 'no display name'}) is registered on the Cloud API and connected.`,
  );
}

async function webhookCheck(
  ctx: AppContext,
  g: Graph,
  channel: ChannelConfig,
  appId: string | undefined,
): Promise<DoctorCheck> {
  const verify = channel.credentials.verify_token;
  if (!verify)
    return check(
      'webhook',
      'fail',
      'The channel has no verify_token, so Meta cannot verify its webhook URL.',
      'Set credentials.verify_token with PATCH /v1/channels/{id}, and type the same value in your app’s WhatsApp > Configuration page.',
    );
  const publicUrl = ctx.config.publicUrl?.replace(/\/$/, '');
  if (!publicUrl)
    return check(
      'webhook',
      'warn',
      'PARLEY_PUBLIC_URL is not set, so Parley cannot check that Meta reaches it.',
      'Set PARLEY_PUBLIC_URL to the HTTPS address Meta reaches Parley at.',
    );
  const hook = `${publicUrl}/hooks/whatsapp/${channel.id}`;
  const challenge = randomBytes(8).toString('hex');
  const url = `${hook}?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(verify)}&hub.challenge=${challenge}`;
  let answer: string;
  try {
    const res = await getFromProvider('Parley', url, { headers: {}, timeoutMs: g.timeoutMs });
    answer = res.ok ? (await res.text()).trim() : `HTTP ${res.status}`;
  } catch (err) {
    answer = (err as Error).message;
  }
  if (answer !== challenge)
    return check(
      'webhook',
      'fail',
      `${hook} did not answer Meta's verification handshake (${answer.slice(0, 120)}).`,
      'Make PARLEY_PUBLIC_URL reach this Parley over HTTPS from the internet (a reverse proxy or tunnel), then set the Callback URL in your app’s WhatsApp > Configuration to the channel’s inbound_url.',
    );
  const fields = await appFields(g, channel, appId);
  if (fields?.callback && fields.callback !== hook)
    return check(
      'webhook',
      'fail',
      `Your app sends WhatsApp webhooks to ${fields.callback}, not to this channel (${hook}).`,
      'Set the Callback URL in your app’s WhatsApp > Configuration to the channel’s inbound_url and verify it.',
    );
  const missing = fields ? WEBHOOK_FIELDS.filter((f) => !fields.names.includes(f)) : [];
  if (missing.length)
    return check(
      'webhook',
      'warn',
      `The verification handshake works, but the app is not subscribed to ${missing.join(', ')}: Parley does not hear about those.`,
      'Subscribe those fields in your app’s WhatsApp > Configuration > Webhook fields.',
    );
  return check(
    'webhook',
    'ok',
    `${hook} answers Meta's verification handshake${fields ? ' and the app sends every field Parley reads' : ''}.`,
  );
}

/** The app's webhook callback and fields (`GET /{app-id}/subscriptions` with the app's own token), when Meta answers. */
async function appFields(
  g: Graph,
  channel: ChannelConfig,
  appId: string | undefined,
): Promise<{ callback?: string; names: string[] } | undefined> {
  const secret = channel.credentials.app_secret;
  if (!appId || !secret) return undefined;
  const r = await graphGet(g, `${encodeURIComponent(appId)}/subscriptions`, `${appId}|${secret}`);
  if (!r.ok) return undefined;
  const sub = (Array.isArray(r.json.data) ? r.json.data : []).find(
    (s: any) => s?.object === 'whatsapp_business_account',
  );
  if (!sub) return { names: [] };
  return {
    ...(typeof sub.callback_url === 'string' ? { callback: sub.callback_url } : {}),
    names: (Array.isArray(sub.fields) ? sub.fields : []).map((f: any) => String(f?.name ?? f)),
  };
}

function versionCheck(version: string, now: Date): DoctorCheck {
  const warning = graphVersionWarning(version, now);
  if (!warning) return check('graph_version', 'ok', `Graph API ${version} is supported by Meta.`);
  return check(
    'graph_version',
    /past its end of life/.test(warning) ? 'fail' : 'warn',
    warning,
    `Set PARLEY_META_GRAPH_VERSION=${NEWEST_GRAPH_VERSION} (or remove it: that is the default) and restart.`,
  );
}

export async function runDoctor(ctx: AppContext, channel: ChannelConfig) {
  const now = ctx.clock.now();
  const g: Graph = {
    base: `${ctx.config.metaGraphUrl.replace(/\/$/, '')}/${ctx.config.metaGraphVersion}`,
    token: channel.credentials.access_token ?? '',
    timeoutMs: 15_000,
  };
  const checks: DoctorCheck[] = [];
  let appId: string | undefined;
  if (!g.token) checks.push(check('token', 'fail', 'The channel has no access_token.', NEW_TOKEN));
  else {
    const t = await tokenCheck(g, now);
    checks.push(t.check);
    appId = t.appId;
  }
  checks.push(await subscriptionCheck(g, channel.credentials.business_account_id));
  checks.push(await numberCheck(ctx, g, channel));
  checks.push(await webhookCheck(ctx, g, channel, appId));
  checks.push(versionCheck(ctx.config.metaGraphVersion, now));
  const status: CheckStatus = checks.some((c) => c.status === 'fail')
    ? 'fail'
    : checks.some((c) => c.status === 'warn')
      ? 'warn'
      : 'ok';
  return {
    object: 'channel_check' as const,
    channel_id: channel.id,
    status,
    checks: checks.map((c) => ({ ...c, fix: c.fix?.replaceAll('{id}', channel.id) ?? null })),
    checked_at: now.toISOString(),
  };
}
