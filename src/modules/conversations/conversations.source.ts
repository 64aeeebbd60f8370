/**
 * Where a conversation came from: a click-to-WhatsApp ad or post (Meta's `referral` object on the
 * customer's first message after the click) becomes the conversation's `source`. The ads report
 * and the costs report group by it (docs/reports.md).
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { describe } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { ConversationRow } from './conversations.tables.ts';

/** The conversation's `source`, as stored and presented. */
export interface ConversationSource {
  kind: 'referral';
  /** Meta's `source_type`: `ad` or `post` (or what Meta sends later). */
  source_type: string | null;
  source_id: string | null;
  source_url: string | null;
  headline: string | null;
  body: string | null;
  ctwa_clid: string | null;
  media_type: string | null;
  media_url: string | null;
  /** When the referred message came. */
  referred_at: string;
}

const text = (v: unknown, max = 2000) => (typeof v === 'string' && v ? v.slice(0, max) : null);

/**
 * The source a referral gives (Meta's `referral`: `source_url`, `source_id`, `source_type`,
 * `headline`, `body`, `ctwa_clid`, `media_type` with `image_url` / `video_url` /
 * `thumbnail_url`); undefined for what is no object.
 */
export function sourceOfReferral(referral: unknown, at: Date): ConversationSource | undefined {
  if (!referral || typeof referral !== 'object' || Array.isArray(referral)) return undefined;
  const r = referral as Record<string, unknown>;
  return {
    kind: 'referral',
    source_type: text(r.source_type, 40),
    source_id: text(r.source_id, 200),
    source_url: text(r.source_url),
    headline: text(r.headline),
    body: text(r.body),
    ctwa_clid: text(r.ctwa_clid, 1000),
    media_type: text(r.media_type, 40),
    media_url: text(r.image_url) ?? text(r.video_url) ?? text(r.thumbnail_url),
    referred_at: at.toISOString(),
  };
}

/**
 * The conversation's columns a referral sets. The latest referral wins (last touch, as Meta's
 * ads reporting counts a click-to-WhatsApp conversation): a customer who comes back through
 * another ad is that ad's conversation from then on.
 */
export function sourceColumns(
  source: ConversationSource,
): Pick<ConversationRow, 'source' | 'source_id' | 'source_at'> {
  return { source: toJson(source), source_id: source.source_id, source_at: source.referred_at };
}

export function presentSource(row: Pick<ConversationRow, 'source'>): ConversationSource | null {
  return fromJson<ConversationSource | null>(row.source ?? null, null);
}

const nullableText = (what: string, example: string) => describe(z.string().nullable(), what, example);

export const sourceObject = describe(
  z
    .object({
      kind: describe(z.literal('referral'), 'A click-to-WhatsApp ad or post (Meta `referral`).', 'referral'),
      source_type: nullableText('Meta `source_type`: ad or post.', 'ad'),
      source_id: nullableText('Meta `source_id`: the ad or post id.', '120226305854810726'),
      source_url: nullableText(
        'Meta `source_url`: the ad or post the customer clicked.',
        'https://fb.me/3cr4Wqqkv',
      ),
      headline: nullableText('Meta `headline`.', 'Chat with us'),
      body: nullableText('Meta `body`.', 'Chat with us to get 25% off your first order!'),
      ctwa_clid: nullableText(
        'Meta `ctwa_clid`: the click id, for the Conversions API.',
        'Aff-n8ZTODiE79d22KtAwQ',
      ),
      media_type: nullableText('Meta `media_type`: image or video.', 'image'),
      media_url: nullableText(
        "The ad's `image_url`, `video_url` or `thumbnail_url`.",
        'https://scontent.xx.fbcdn.net/v/t45.1600-4/518137_n.png',
      ),
      referred_at: describe(z.string(), 'When the referred message came.', '2026-11-25T09:12:03.000Z'),
    })
    .nullable()
    .optional(),
  'Where the conversation came from: the latest click-to-WhatsApp ad or post that brought the customer (null: none). See docs/channels.md.',
);

/** A read-only view of this workspace's and mode's conversations' agent and ad (`id`, `agent_id`, `source_id`), to join by id. */
export function conversationAttribution(db: Db | Trx, scope: Scope) {
  return tenant(db, scope).selectFrom('conversations').select(['id', 'agent_id', 'source_id', 'channel']);
}

export interface AdFigures {
  source_id: string;
  source_type: string | null;
  source_url: string | null;
  headline: string | null;
  conversations: number;
  leads: number;
  bookings: number;
}

/**
 * Per ad (source id), the conversations an ad brought in `[from, to)` (by when the referral came)
 * with the leads and bookings made in them, most conversations first.
 */
export async function adFigures(db: Db, scope: Scope, from: string, to: string): Promise<AdFigures[]> {
  const rows = await tenant(db, scope)
    .selectFrom('conversations')
    .leftJoin('conversation_facts as f', 'f.conversation_id', 'conversations.id')
    .select((eb) => [
      'conversations.source_id as source_id',
      eb.fn.countAll<number | string>().as('conversations'),
      eb.fn.coalesce(eb.fn.sum<number | string>('f.leads'), sql<number>`0`).as('leads'),
      eb.fn.coalesce(eb.fn.sum<number | string>('f.bookings'), sql<number>`0`).as('bookings'),
      eb.fn.max('conversations.source').as('source'),
    ])
    .where('conversations.source_id', 'is not', null)
    .where('conversations.source_at', '>=', from)
    .where('conversations.source_at', '<', to)
    .groupBy('conversations.source_id')
    .execute();
  return rows
    .map((r) => {
      const s = fromJson<ConversationSource | null>(r.source ?? null, null);
      return {
        source_id: r.source_id as string,
        source_type: s?.source_type ?? null,
        source_url: s?.source_url ?? null,
        headline: s?.headline ?? null,
        conversations: Number(r.conversations),
        leads: Number(r.leads),
        bookings: Number(r.bookings),
      };
    })
    .sort((a, b) => b.conversations - a.conversations || a.source_id.localeCompare(b.source_id));
}
