import type { AccountHealthNotice } from '../channel-adapter.ts';

/**
 * Meta's account health webhooks (fields `phone_number_quality_update`, `phone_number_name_update`,
 * `account_update`, `business_capability_update`, as Meta's webhook references describe them) read
 * into health notices. Pure functions; an event Parley does not know is still a notice (its raw
 * value is kept), so nothing Meta says about the account is dropped.
 */

export const HEALTH_FIELDS = new Set([
  'phone_number_quality_update',
  'phone_number_name_update',
  'account_update',
  'business_capability_update',
]);

/**
 * Meta's messaging limit tiers: business-initiated conversations with unique users in a rolling
 * 24 hours (-1: unlimited). `TIER_NOT_SET` (a number that has not sent yet) has no figure.
 */
export const TIER_LIMITS: Record<string, number> = {
  TIER_50: 50,
  TIER_250: 250,
  TIER_1K: 1_000,
  TIER_2K: 2_000,
  TIER_10K: 10_000,
  TIER_100K: 100_000,
  TIER_UNLIMITED: -1,
};

/** `business_capability_update` gives the limit as a number (-1 unlimited); the tier it names. */
function tierOfNumber(n: number): string | undefined {
  return Object.entries(TIER_LIMITS).find(([, v]) => v === n)?.[0];
}

const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const digits = (v: unknown) =>
  typeof v === 'string' || typeof v === 'number' ? String(v).replace(/\D/g, '') : '';

/** One health change, or none when it is about another number of the same account. */
export function healthNotice(
  field: string,
  value: Record<string, any>,
  channelAddress: string | undefined,
  at: Date,
): AccountHealthNotice | undefined {
  const display = digits(value.display_phone_number);
  // Quality and name changes name the number; one app may serve several numbers of the account.
  if (display && channelAddress && digits(channelAddress) && display !== digits(channelAddress))
    return undefined;
  const event = text(value.event) ?? text(value.decision) ?? field;
  const base: AccountHealthNotice = { kind: 'account_health', field, event, at, raw: value };
  if (field === 'phone_number_quality_update') return { ...base, ...qualityChange(value, event) };
  if (field === 'phone_number_name_update')
    return {
      ...base,
      nameStatus: event.toUpperCase(),
      ...(text(value.requested_verified_name) ? { verifiedName: text(value.requested_verified_name) } : {}),
      ...(text(value.rejection_reason) ? { reason: text(value.rejection_reason) } : {}),
    };
  if (field === 'business_capability_update') {
    const tier =
      tierFrom(value.max_daily_conversations_per_business) ??
      tierFrom(value.max_daily_conversation_per_phone);
    return { ...base, ...(tier ? { tier } : {}) };
  }
  return { ...base, ...accountChange(value, event) };
}

/** A limit as Meta gives it: `TIER_2K` (quality webhook) or 2000 / -1 (capability webhook). */
function tierFrom(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return tierOfNumber(v);
  const s = text(v);
  if (!s) return undefined;
  if (/^-?\d+$/.test(s)) return tierOfNumber(Number(s));
  return /^TIER_[A-Z0-9_]+$/.test(s.toUpperCase()) ? s.toUpperCase() : undefined;
}

/**
 * `phone_number_quality_update`: the tier (`max_daily_conversations_per_business`, else the
 * older `current_limit`), and the quality the event says: FLAGGED (quality dropped to low) and
 * UNFLAGGED (back to normal); UPGRADE / DOWNGRADE / THROUGHPUT_UPGRADE change the limit only.
 */
function qualityChange(value: Record<string, any>, event: string): Partial<AccountHealthNotice> {
  const tier = tierFrom(value.max_daily_conversations_per_business) ?? tierFrom(value.current_limit);
  const upper = event.toUpperCase();
  const quality = upper === 'FLAGGED' ? 'RED' : upper === 'UNFLAGGED' ? 'GREEN' : undefined;
  return { ...(tier ? { tier } : {}), ...(quality ? { quality } : {}) };
}

/**
 * `account_update`: a ban (`DISABLED_UPDATE`, `ban_info.waba_ban_state`), a policy violation
 * (`ACCOUNT_VIOLATION`, `violation_info.violation_type`), restrictions (`ACCOUNT_RESTRICTION`,
 * `restriction_info[]`) or the account's deletion.
 */
function accountChange(value: Record<string, any>, event: string): Partial<AccountHealthNotice> {
  const upper = event.toUpperCase();
  const out: Partial<AccountHealthNotice> = {};
  const ban = text(value.ban_info?.waba_ban_state);
  if (ban) out.accountStatus = ban.toUpperCase() === 'REINSTATE' ? 'ACTIVE' : ban.toUpperCase();
  if (upper === 'ACCOUNT_DELETED') out.accountStatus = 'DELETED';
  const violation = text(value.violation_info?.violation_type);
  if (violation) out.violation = violation;
  if (Array.isArray(value.restriction_info))
    out.restrictions = value.restriction_info.flatMap((r: any) =>
      text(r?.restriction_type)
        ? [
            {
              type: text(r.restriction_type)!,
              ...(r.expiration !== undefined && r.expiration !== null
                ? { expires: String(r.expiration) }
                : {}),
            },
          ]
        : [],
    );
  if (upper === 'ACCOUNT_RESTRICTION' && !out.restrictions) out.restrictions = [];
  return out;
}
