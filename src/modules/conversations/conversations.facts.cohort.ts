import { type RawBuilder, sql } from 'kysely';
import type { Db, Dialect, Trx } from '../../platform/db/database.ts';
import { type Scope, scopeSql } from '../../platform/db/scope.ts';
import type { ConversationReportQuery } from './conversations.report.ts';

/**
 * The overview's figures aggregated in SQL over `conversation_facts` (its cohort columns, 1102):
 * sums, counts and exact nearest-rank percentiles per series bucket and over the whole cohort, and
 * the handoffs by reason. No row per conversation reaches the process; docs/reports.md defines each
 * figure, test/reports/reports-facts-recount.test.ts compares them with a recount from the raw rows.
 */

export type CohortQuery = Omit<ConversationReportQuery, 'afterId' | 'limit'>;

/**
 * How a row's series bucket is found from its creation instant (epoch ms): the timezone's offset
 * (ms) is constant between transitions, `offsets` lists them (`[until, offset]`, the last `until`
 * null), and the bucket key is the local hour's start instant (hour), the local day number (day),
 * or the Monday-based local week number (week).
 */
export interface SeriesKey {
  interval: 'hour' | 'day' | 'week';
  offsets: Array<[number | null, number]>;
}

/** The SQL of a bucket key from `f.created_ms` (integers only, so both storages agree). */
function keySql(k: SeriesKey): RawBuilder<unknown> {
  const int = (n: number) => String(Math.trunc(n));
  const off =
    k.offsets.length === 1
      ? int(k.offsets[0]![1])
      : `(case ${k.offsets
          .slice(0, -1)
          .map(([until, o]) => `when f.created_ms < ${int(until as number)} then ${int(o)}`)
          .join(' ')} else ${int(k.offsets[k.offsets.length - 1]![1])} end)`;
  const local = `(f.created_ms + ${off})`;
  const expr =
    k.interval === 'hour'
      ? `(${local} / 3600000) * 3600000 - ${off}`
      : k.interval === 'day'
        ? `${local} / 86400000`
        : `(${local} / 86400000 + 3) / 7`;
  return sql.raw(expr);
}

/** The cohort's filter on `conversation_facts f`. */
function cohortWhere(scope: Scope, q: CohortQuery): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [
    scopeSql(scope, 'f'),
    sql`f.created_at >= ${q.from}`,
    sql`f.created_at < ${q.to}`,
  ];
  if (q.channel) parts.push(sql`f.channel = ${q.channel}`);
  if (q.agentId) parts.push(sql`f.agent_id = ${q.agentId}`);
  if (q.userId) parts.push(sql`f.assignee_type = 'user' and f.assignee_id = ${q.userId}`);
  if (q.teamId) {
    const members = q.teamUserIds ?? [];
    parts.push(
      members.length
        ? sql`((f.assignee_type = 'team' and f.assignee_id = ${q.teamId}) or (f.assignee_type = 'user' and f.assignee_id in (${sql.join(members)})))`
        : sql`f.assignee_type = 'team' and f.assignee_id = ${q.teamId}`,
    );
  }
  return sql.join(parts, sql` and `);
}

/** Upper bounds (seconds) of the first-response histogram; the last bucket is open. */
export const FIRST_RESPONSE_LIMITS = [10, 30, 60, 300, 900, 3600, 14_400, 86_400] as const;

const AI_RESOLVED = `f.status = 'closed' and f.person_messages = 0 and f.escalations = 0
  and f.handoff_at is null and f.reopened_24h = 0`;
const HANDOFF = 'f.escalations > 0 or f.handoff_at is not null';

/** The sums and counts of a group (a bucket, or the cohort): each the sum of its buckets'. */
const SUMS: Array<[string, string]> = [
  ['conversations', 'count(*)'],
  ['messages_in', 'sum(f.messages_in)'],
  ['messages_out', 'sum(f.messages_out)'],
  ['ai_resolved', `sum(case when ${AI_RESOLVED} then 1 else 0 end)`],
  ['handoffs', `sum(case when ${HANDOFF} then 1 else 0 end)`],
  ['leads', 'sum(f.leads)'],
  ['bookings', 'sum(f.bookings)'],
  ['csat_sum', 'sum(f.csat_score)'],
  ['csat_n', 'count(f.csat_score)'],
  ['sla_applies', 'count(f.sla_met)'],
  ['sla_met', 'sum(f.sla_met)'],
  ['fr_n', 'count(f.first_response_ms)'],
  ['hfr_n', 'count(f.human_first_response_ms)'],
  ['res_n', 'count(f.resolution_ms)'],
];
const sums = () => SUMS.map(([name, e]) => `${e} as ${name}`).join(', ');

/** The distributions, reported for the whole cohort only: the first-response histogram and the CSAT scores. */
function distributions(): string {
  const limits = FIRST_RESPONSE_LIMITS.map((s) => s * 1000);
  const hist = [...limits, null].map((up, i) => {
    const above = i ? `f.first_response_ms > ${limits[i - 1]}` : null;
    const cond = [up === null ? null : `f.first_response_ms <= ${up}`, above].filter(Boolean).join(' and ');
    return `sum(case when ${cond} then 1 else 0 end) as h${i}`;
  });
  const csat = [1, 2, 3, 4, 5].map((n) => `sum(case when f.csat_score = ${n} then 1 else 0 end) as csat${n}`);
  return [...hist, ...csat].join(', ');
}

/**
 * The percentiles of a group. PostgreSQL's `percentile_disc` is the nearest rank (the value at
 * `ceil(p * n)`). SQLite's takes the value at `floor(p * (n - 1))` (0-based), which is the nearest
 * rank for p = 0.5 but may be the one before it for p = 0.9: `percentile_cont` then gives that
 * value and the next one's interpolation, from which the caller reads the next one exactly.
 */
function percentiles(dialect: Dialect): string {
  if (dialect === 'postgres')
    return [
      'percentile_disc(0.5::float8) within group (order by f.first_response_ms) as fr50',
      'percentile_disc(0.9::float8) within group (order by f.first_response_ms) as fr90',
      'null as fr90c',
      'percentile_disc(0.5::float8) within group (order by f.human_first_response_ms) as hfr50',
      'percentile_disc(0.5::float8) within group (order by f.resolution_ms) as res50',
    ].join(', ');
  return [
    'percentile_disc(f.first_response_ms, 0.5) as fr50',
    'percentile_disc(f.first_response_ms, 0.9) as fr90',
    'percentile_cont(f.first_response_ms, 0.9) as fr90c',
    'percentile_disc(f.human_first_response_ms, 0.5) as hfr50',
    'percentile_disc(f.resolution_ms, 0.5) as res50',
  ].join(', ');
}

export interface CohortGroup {
  /** The bucket key (see SeriesKey); null for the whole cohort. */
  key: number | null;
  conversations: number;
  messages_in: number;
  messages_out: number;
  ai_resolved: number;
  handoffs: number;
  leads: number;
  bookings: number;
  csat_sum: number;
  csat_n: number;
  sla_applies: number;
  sla_met: number;
  fr_n: number;
  hfr_n: number;
  res_n: number;
  /** First responses per histogram bucket (FIRST_RESPONSE_LIMITS, then longer): the cohort's (zeros in a bucket on SQLite). */
  histogram: number[];
  /** CSAT answers scored 1..5; the cohort's only, like `histogram`. */
  csat: number[];
  /** Nearest-rank percentiles in ms (null when there are none). */
  fr50: number | null;
  fr90: number | null;
  hfr50: number | null;
  res50: number | null;
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** The value at the nearest rank ceil(p * n) from SQLite's floor(p * (n - 1)) value and its interpolation. */
function sqliteNearestRank(n: number, p: number, disc: unknown, cont: unknown): number | null {
  if (n === 0 || disc === null) return null;
  const at = Math.max(0, Math.ceil(p * n) - 1);
  const ix = p * (n - 1);
  const j = Math.floor(ix);
  if (at === j) return Number(disc);
  // at === j + 1: cont = a[j] + (ix - j) * (a[j + 1] - a[j]), the values are whole milliseconds.
  return Math.round(Number(disc) + (Number(cont) - Number(disc)) / (ix - j));
}

function toGroup(r: Record<string, unknown>, dialect: Dialect): CohortGroup {
  const frN = num(r.fr_n);
  return {
    key: numOrNull(r.key),
    conversations: num(r.conversations),
    messages_in: num(r.messages_in),
    messages_out: num(r.messages_out),
    ai_resolved: num(r.ai_resolved),
    handoffs: num(r.handoffs),
    leads: num(r.leads),
    bookings: num(r.bookings),
    csat_sum: num(r.csat_sum),
    csat_n: num(r.csat_n),
    sla_applies: num(r.sla_applies),
    sla_met: num(r.sla_met),
    fr_n: frN,
    hfr_n: num(r.hfr_n),
    res_n: num(r.res_n),
    histogram: [...FIRST_RESPONSE_LIMITS, null].map((_, i) => num(r[`h${i}`])),
    csat: [1, 2, 3, 4, 5].map((n) => num(r[`csat${n}`])),
    fr50: numOrNull(r.fr50),
    fr90: dialect === 'postgres' ? numOrNull(r.fr90) : sqliteNearestRank(frN, 0.9, r.fr90 ?? null, r.fr90c),
    hfr50: numOrNull(r.hfr50),
    res50: numOrNull(r.res50),
  };
}

/**
 * The figures of the cohort per series bucket (`key` set) and in total (`key` null), and its
 * handoffs by reason. Two statements on PostgreSQL (grouping sets), three on SQLite (the cohort's sums
 * added up from its buckets').
 */
export async function cohortAggregates(
  db: Db | Trx,
  dialect: Dialect,
  scope: Scope,
  q: CohortQuery,
  series: SeriesKey,
): Promise<{ groups: CohortGroup[]; reasons: Array<{ reason: string; count: number }> }> {
  const where = cohortWhere(scope, q);
  const pct = percentiles(dialect);
  const key = keySql(series);
  let rows: Array<Record<string, unknown>>;
  if (dialect === 'postgres') {
    rows = (
      await sql<
        Record<string, unknown>
      >`select ${key} as key, ${sql.raw(`${sums()}, ${distributions()}, ${pct}`)}
        from conversation_facts f where ${where} group by grouping sets ((${key}), ())`.execute(db)
    ).rows;
  } else {
    // No grouping sets: the buckets' sums, then the cohort's distributions and percentiles (its
    // sums are its buckets' added up), so each expression is worked out once per row.
    const byKey = await sql<Record<string, unknown>>`select ${key} as key, ${sql.raw(`${sums()}, ${pct}`)}
        from conversation_facts f where ${where} group by 1`.execute(db);
    const total = await sql<
      Record<string, unknown>
    >`select null as key, ${sql.raw(`${distributions()}, ${pct}`)}
        from conversation_facts f where ${where}`.execute(db);
    const added = Object.fromEntries(
      SUMS.map(([name]) => [name, byKey.rows.reduce((n, r) => n + num(r[name]), 0)]),
    );
    rows = [...byKey.rows, { ...total.rows[0], ...added }];
  }
  // Each handoff's reasons: its escalations', else the current handoff's (docs/reports.md); one
  // scan of the cohort, each handoff row giving its list of reasons.
  const current = "coalesce(f.handoff_reason, 'unknown')";
  const each =
    dialect === 'postgres'
      ? sql`select jsonb_array_elements_text(case when f.escalations > 0 then f.handoff_reasons::jsonb
          else jsonb_build_array(${sql.raw(current)}) end) as reason from conversation_facts f`
      : sql`select j.value as reason from conversation_facts f join json_each(case when f.escalations > 0
          then f.handoff_reasons else json_array(${sql.raw(current)}) end) j`;
  const reasons = await sql<{ reason: unknown; count: unknown }>`select reason, count(*) as count from (
      ${each} where ${where} and (f.escalations > 0 or f.handoff_at is not null)
    ) r group by reason`.execute(db);
  return {
    groups: rows.map((r) => toGroup(r, dialect)),
    reasons: reasons.rows.map((r) => ({ reason: String(r.reason), count: Number(r.count) })),
  };
}

export interface PersonFigures {
  user_id: string;
  /** Conversations assigned to them or first answered by them. */
  handled: number;
  replies: number;
  /** Their first responses (where they answered first): count and nearest-rank percentiles in ms. */
  fr_n: number;
  fr50: number | null;
  fr90: number | null;
  csat_sum: number;
  csat_n: number;
}

/**
 * The people report's figures over the cohort, per user id, aggregated in SQL from the facts rows
 * (assignee, first responder, first response by a person, CSAT, replies per person): four
 * statements, whatever the number of conversations.
 */
export async function cohortPeople(
  db: Db | Trx,
  dialect: Dialect,
  scope: Scope,
  q: CohortQuery,
): Promise<Map<string, PersonFigures>> {
  const where = cohortWhere(scope, q);
  const pg = dialect === 'postgres';
  const assignee = sql.raw(`case when f.assignee_type = 'user' then f.assignee_id end`);
  const pct = pg
    ? sql.raw(`percentile_disc(0.5::float8) within group (order by f.human_first_response_ms) as p50,
        percentile_disc(0.9::float8) within group (order by f.human_first_response_ms) as p90, null as p90c`)
    : sql.raw(`percentile_disc(f.human_first_response_ms, 0.5) as p50,
        percentile_disc(f.human_first_response_ms, 0.9) as p90,
        percentile_cont(f.human_first_response_ms, 0.9) as p90c`);
  const replies = pg
    ? sql`select j.key as id, sum(j.value::int) as n from conversation_facts f
        cross join lateral jsonb_each_text(f.replies_by_user::jsonb) j where ${where} group by j.key`
    : sql`select j.key as id, sum(j.value) as n from conversation_facts f
        join json_each(f.replies_by_user) j where ${where} group by j.key`;
  const [handled, firsts, csat, replied] = await Promise.all([
    sql<{ id: string; n: unknown }>`select id, count(*) as n from (
        select ${assignee} as id from conversation_facts f where ${where} and f.assignee_type = 'user'
        union all
        select f.first_responder_id as id from conversation_facts f where ${where}
          and f.first_responder_id is not null
          and coalesce(${assignee}, '') <> f.first_responder_id
      ) h where id is not null group by id`.execute(db),
    sql<
      Record<string, unknown>
    >`select f.first_responder_id as id, count(f.human_first_response_ms) as n, ${pct}
        from conversation_facts f where ${where} and f.first_responder_id is not null
          and f.human_first_response_ms is not null
        group by f.first_responder_id`.execute(db),
    sql<{ id: string; s: unknown; n: unknown }>`select f.assignee_id as id, sum(f.csat_score) as s,
        count(f.csat_score) as n from conversation_facts f
        where ${where} and f.assignee_type = 'user' and f.csat_score is not null group by f.assignee_id`.execute(
      db,
    ),
    replies.execute(db) as Promise<{ rows: Array<{ id: string; n: unknown }> }>,
  ]);
  const out = new Map<string, PersonFigures>();
  const of = (id: string) => {
    let p = out.get(id);
    if (!p) {
      p = { user_id: id, handled: 0, replies: 0, fr_n: 0, fr50: null, fr90: null, csat_sum: 0, csat_n: 0 };
      out.set(id, p);
    }
    return p;
  };
  for (const r of handled.rows) of(r.id).handled = num(r.n);
  for (const r of firsts.rows) {
    const p = of(String(r.id));
    p.fr_n = num(r.n);
    p.fr50 = numOrNull(r.p50);
    p.fr90 = pg ? numOrNull(r.p90) : sqliteNearestRank(p.fr_n, 0.9, r.p90 ?? null, r.p90c);
  }
  for (const r of csat.rows) {
    const p = of(r.id);
    p.csat_sum = num(r.s);
    p.csat_n = num(r.n);
  }
  for (const r of replied.rows) of(r.id).replies = num(r.n);
  return out;
}
