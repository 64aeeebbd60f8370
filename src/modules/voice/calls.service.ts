import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { sql } from 'kysely';
import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import { loadSecretKey } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, scopeColumns, tenant } from '../../platform/db/scope.ts';
import { ApiError, notFound, validationFailed } from '../../platform/errors.ts';
import type { Actor, EmitInput, EventType, Tx } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { PlanLimits } from '../../platform/limits.ts';
import { getAgentRow } from '../agents/index.ts';
import { type ChannelRow, channelKinds, ensureSandboxChannel } from '../channels/index.ts';
import type { ContactRow } from '../contacts/index.ts';
import {
  findContactsByPhones,
  insertContacts,
  invalidPhoneMessage,
  newContactRow,
  normalizePhone,
  presentContact,
} from '../contacts/index.ts';
import {
  type ConversationRow,
  findConversations,
  insertConversations,
  newConversationRow,
  presentConversation,
  threadKey,
} from '../conversations/index.ts';
import { checkWebCall, speechOf } from './call-speech.ts';
import { type CallObject, presentCall } from './calls.present.ts';
import type { SandboxScript } from './engine/types.ts';
import { startCallJob, webJoinTimeoutJob } from './voice.jobs.ts';
import { voiceRuntime } from './voice.runtime.ts';
import { activeStatuses, type CallRow, type CallStatus } from './voice.tables.ts';

export type { Scope };

export interface TranscriptEntry {
  role: 'customer' | 'agent';
  text: string;
  start_ms: number;
  end_ms: number;
  interrupted: boolean;
}

export interface TurnLatency {
  /** End of the caller's speech to the turn being committed (end-of-turn silence). */
  eou_ms: number;
  /** The turn committed to the agent's first sentence. */
  agent_ms: number;
  /** That sentence handed to speech to its first audio. */
  tts_ms: number;
  /** Parley's own share: the committed turn (final transcript) to the first audio frame out. */
  turn_ms: number;
  /** End of the caller's speech to the first audio frame out. */
  voice_to_voice_ms: number;
}

export interface CallLatency {
  turns: number;
  p50_ms: number | null;
  p95_ms: number | null;
  parley_p50_ms: number | null;
  per_turn: TurnLatency[];
  /** Turn-taking counts (engine/turn-taking.ts `TurnCounts`); absent on calls stored before them. */
  interruptions?: number;
  false_interruptions?: number;
  backchannels?: number;
  recoveries?: number;
}

import type { EndedReason } from './calls.reasons.ts';

export { type EndedReason, endedReasons } from './calls.reasons.ts';

const terminal: CallStatus[] = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];
export const isTerminal = (s: CallStatus) => terminal.includes(s);
/** Where each status stands: a status may only be replaced by one further on. */
const rank: Record<CallStatus, number> = {
  queued: 0,
  dialing: 1,
  ringing: 2,
  in_progress: 3,
  completed: 4,
  busy: 4,
  no_answer: 4,
  failed: 4,
  canceled: 4,
  voicemail: 4,
};
const statusesBefore = (s: CallStatus) =>
  (Object.keys(rank) as CallStatus[]).filter((x) => rank[x] < rank[s]);

export { type CallObject, presentCall };

export function getCallRow(db: Db | Trx, scope: Scope, id: string): Promise<CallRow> {
  return tenant(db, scope).getById('calls', id, 'call');
}

export async function getCall(ctx: AppContext, scope: Scope, id: string): Promise<CallObject> {
  return presentCall(await getCallRow(ctx.db, scope, id));
}

export interface CallFilters {
  status?: CallStatus;
  agent_id?: string;
  contact_id?: string;
  campaign_id?: string;
  identifier?: string;
  direction?: 'inbound' | 'outbound';
}

export async function listCalls(
  ctx: AppContext,
  scope: Scope,
  filters: CallFilters,
  page: PageRequest,
): Promise<Page<CallObject>> {
  let q = tenant(ctx.db, scope).selectFrom('calls').selectAll();
  if (filters.status) q = q.where('status', '=', filters.status);
  if (filters.agent_id) q = q.where('agent_id', '=', filters.agent_id);
  if (filters.contact_id) q = q.where('contact_id', '=', filters.contact_id);
  if (filters.campaign_id) q = q.where('campaign_id', '=', filters.campaign_id);
  if (filters.identifier) q = q.where('identifier', '=', filters.identifier);
  if (filters.direction) q = q.where('direction', '=', filters.direction);
  return paginate(q.orderBy('id', 'desc'), page, presentCall);
}

// ---------------------------------------------------------------- concurrency

/** The workspace's concurrent-call limit and how many slots are free, for the response headers. */
export interface Concurrency {
  limit: number | null;
  remaining: number | null;
}

export const concurrencyHeaders = (c: Concurrency): Record<string, string> =>
  c.limit === null
    ? { 'X-Concurrency-Limit': 'unlimited', 'X-Concurrency-Remaining': 'unlimited' }
    : { 'X-Concurrency-Limit': String(c.limit), 'X-Concurrency-Remaining': String(c.remaining) };

/** Calls holding a concurrent-call slot (queued, dialing, ringing, in progress) in a workspace and mode. */
export async function countActive(db: Db | Trx, scope: Scope): Promise<number> {
  const row = await tenant(db, scope)
    .selectFrom('calls')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', [...activeStatuses])
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Active calls of every workspace and mode by provider and direction (the `parley_active_calls` gauge). */
export async function activeCallsByProvider(db: Db | Trx) {
  const rows = await db
    .selectFrom('calls')
    .select(['provider', 'direction', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', [...activeStatuses])
    .groupBy(['provider', 'direction'])
    .execute();
  return rows.map((r) => ({ labels: { provider: r.provider, direction: r.direction }, value: Number(r.n) }));
}

export async function concurrencyOf(ctx: AppContext, scope: Scope, limits: PlanLimits): Promise<Concurrency> {
  const limit = limits.concurrent_calls;
  if (limit === null) return { limit: null, remaining: null };
  return { limit, remaining: Math.max(0, limit - (await countActive(ctx.db, scope))) };
}

/**
 * Serialises admission per workspace and mode inside the caller's transaction: SQLite has one
 * writer, so its count-then-insert is already atomic; PostgreSQL takes a transaction-scoped
 * advisory lock on the workspace and mode first.
 */
async function lockAdmission(ctx: AppContext, tx: Tx, scope: Scope) {
  if (ctx.dialect !== 'postgres') return;
  const key = `calls:${scope.workspaceId}:${scope.livemode ? 'live' : 'test'}`;
  await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(tx.db);
}

// ---------------------------------------------------------------- create

export interface CallItem {
  agent_id?: string;
  voice_flow_id?: string;
  to?: string;
  from?: string;
  channel_id?: string;
  transport?: 'phone' | 'web';
  dynamic_variables?: Record<string, string | number | boolean | null>;
  ignore_dnd?: boolean;
  identifier?: string;
  sandbox?: SandboxScript;
  /** Set by campaigns (not part of the public body). */
  campaign_id?: string;
}

export interface Caller {
  workspaceId: string;
  livemode: boolean;
  defaultCountry: string;
  actor: Actor;
  limits: PlanLimits;
}

export interface MediaSession {
  provider: 'parley' | 'livekit';
  room: string;
  token: string;
  url: string;
  identity: string;
  expires_at: string;
}

export interface ItemError {
  index: number;
  code: string;
  message: string;
  errors?: Array<{ field: string; message: string }>;
}

interface Prepared {
  index: number;
  item: CallItem;
  transport: 'phone' | 'web';
  to: string | null;
  channel: ChannelRow | null;
  provider: string;
}

const MEDIA_TOKEN_TTL_S = 15 * 60;

/**
 * Creates calls, each admitted against the workspace's concurrent-call limit. Items are checked
 * first (agent, number, channel); the valid ones are then admitted and written in one
 * transaction, in order, until the free slots run out: later items get `concurrency_limited`.
 * Each call's `call.started` event and its start job commit with it. Campaigns call this with
 * `campaign_id` on their items.
 */
export async function createCalls(
  ctx: AppContext,
  caller: Caller,
  items: CallItem[],
  opts: {
    /** Runs in the writing transaction before any call is written (a campaign takes its dial slot); a throw writes nothing. */
    admit?: (tx: Trx) => Promise<void>;
  } = {},
) {
  const scope: Scope = { workspaceId: caller.workspaceId, livemode: caller.livemode };
  const errors: ItemError[] = [];
  const prepared: Prepared[] = [];
  const lookups: Lookups = new Map();
  for (const [index, item] of items.entries()) {
    try {
      prepared.push(await prepareItem(ctx, caller, index, item, lookups));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      errors.push(itemError(index, err));
    }
  }
  const created: Array<{ index: number; call: CallRow }> = [];
  const limit = caller.limits.concurrent_calls;
  let remaining: number | null = null;
  if (prepared.length > 0) {
    await ctx.transaction(async (tx) => {
      await lockAdmission(ctx, tx, scope);
      await opts.admit?.(tx.db);
      // Read after the admission lock, so calls are stamped in the order they were admitted.
      const now = ctx.clock.now();
      let free = limit === null ? Number.POSITIVE_INFINITY : limit - (await countActive(tx.db, scope));
      // The contacts of the batch's numbers, read with one query rather than one per item.
      const phones = prepared.flatMap((p) => (p.to ? [p.to] : []));
      const known = new Map(
        (phones.length ? await findContactsByPhones(tx.db, scope, phones) : []).map((c) => [c.phone!, c]),
      );
      // Admission, in order, until the free slots run out. A refused item (opted out, DND)
      // takes no slot and has nothing written for it.
      const admitted: Prepared[] = [];
      for (const p of prepared) {
        if (free <= 0) {
          errors.push({
            index: p.index,
            code: 'concurrency_limited',
            message: `The workspace's limit of ${limit} concurrent calls is reached; retry when a call ends.`,
          });
          continue;
        }
        const existing = p.to ? known.get(p.to) : undefined;
        const refusal = existing ? contactRefusal(existing, p.item) : null;
        if (refusal) {
          errors.push(itemError(p.index, refusal));
          continue;
        }
        admitted.push(p);
        free--;
      }
      const written = await writeCalls(ctx, tx, caller, admitted, known, now);
      created.push(...written.calls);
      for (const r of written.refused) {
        errors.push(itemError(r.index, r.error));
        free++;
      }
      remaining = limit === null ? null : Math.max(0, free);
    });
  } else if (limit !== null) {
    remaining = Math.max(0, limit - (await countActive(ctx.db, scope)));
  }
  errors.sort((a, b) => a.index - b.index);
  const concurrency: Concurrency = { limit, remaining };
  if (created.length === 0 && errors.length > 0 && errors.every((e) => e.code === 'concurrency_limited')) {
    throw new ApiError(
      'concurrency_limited',
      `The workspace's limit of ${limit} concurrent calls is reached; no call was placed. Retry after Retry-After seconds.`,
      { headers: { 'Retry-After': '5', ...concurrencyHeaders(concurrency) } },
    );
  }
  const results = [];
  for (const { index, call } of created.sort((a, b) => a.index - b.index)) {
    const media_session = await mediaSessionFor(ctx, call);
    results.push({ index, call: presentCall(call), media_session, ...(await speechOf(ctx, call)) });
  }
  return { results, errors, concurrency };
}

function itemError(index: number, err: ApiError): ItemError {
  return { index, code: err.code, message: err.message, ...(err.errors ? { errors: err.errors } : {}) };
}

/** The agent, voice flow and channel lookups of one request, each made once however many items name it. */
type Lookups = Map<string, Promise<unknown>>;
function once<T>(lookups: Lookups, key: string, load: () => Promise<T>): Promise<T> {
  let p = lookups.get(key) as Promise<T> | undefined;
  if (!p) {
    p = load();
    // A lookup that fails fails each item that makes it; none is left unhandled meanwhile.
    p.catch(() => {});
    lookups.set(key, p);
  }
  return p;
}

async function prepareItem(
  ctx: AppContext,
  caller: Caller,
  index: number,
  item: CallItem,
  lookups: Lookups,
): Promise<Prepared> {
  const scope: Scope = { workspaceId: caller.workspaceId, livemode: caller.livemode };
  const fieldErrors: Array<{ field: string; message: string }> = [];
  if (!item.agent_id && !item.voice_flow_id)
    fieldErrors.push({ field: 'agent_id', message: 'agent_id or voice_flow_id is required' });
  if (item.agent_id && item.voice_flow_id)
    fieldErrors.push({ field: 'voice_flow_id', message: 'give agent_id or voice_flow_id, not both' });
  const transport = item.transport ?? (item.to === undefined ? 'web' : 'phone');
  let to: string | null = null;
  if (item.to !== undefined) {
    to = normalizePhone(item.to, caller.defaultCountry);
    if (!to) fieldErrors.push({ field: 'to', message: invalidPhoneMessage(item.to, caller.defaultCountry) });
  } else if (transport === 'phone') {
    fieldErrors.push({ field: 'to', message: 'is required for a phone call (or set transport: "web")' });
  }
  if (item.sandbox && caller.livemode)
    fieldErrors.push({
      field: 'sandbox',
      message: 'is only accepted with a test key (live calls reach real people)',
    });
  if (fieldErrors.length) throw validationFailed(fieldErrors);
  const agentId = item.agent_id;
  if (agentId) await once(lookups, `agent:${agentId}`, () => getAgentRow(ctx.db, scope, agentId));
  const flowId = item.voice_flow_id;
  if (flowId) {
    const lookup = voiceRuntime(ctx).voiceFlowExists;
    if (!lookup || !(await once(lookups, `flow:${flowId}`, () => lookup(ctx.db, scope, flowId))))
      throw notFound('voice flow', flowId);
  }
  const channel = await once(
    lookups,
    `channel:${item.channel_id ?? ''}:${item.from ?? ''}:${transport}`,
    () => channelFor(ctx, scope, item, transport, caller.defaultCountry),
  );
  const provider =
    transport === 'web' ? 'parley' : caller.livemode ? (channel?.provider ?? 'none') : 'sandbox';
  if (transport === 'phone' && !voiceRuntime(ctx).carriers.has(provider)) {
    throw new ApiError(
      'channel_not_configured',
      `Phone calls through ${provider} are not available on this server yet; connect a Twilio or LiveKit voice channel, or use transport: "web".`,
    );
  }
  if (transport === 'web') await checkWebCall(ctx, caller.livemode, scope, agentId); // 422 if it cannot speak
  return { index, item, transport, to, channel, provider };
}

/** The voice channel a call goes out on: the one named, the one with the `from` number, or the workspace's first. */
async function channelFor(
  ctx: AppContext,
  scope: Scope,
  item: CallItem,
  transport: 'phone' | 'web',
  defaultCountry: string,
): Promise<ChannelRow | null> {
  let q = tenant(ctx.db, scope)
    .selectFrom('channels')
    .selectAll()
    .where('type', '=', 'voice')
    .where('status', '=', 'active');
  if (item.channel_id) {
    const row = await q.where('id', '=', item.channel_id).executeTakeFirst();
    if (!row)
      throw new ApiError('validation_failed', `No active voice channel ${item.channel_id}.`, {
        errors: [
          { field: 'channel_id', message: 'is not an active voice channel of this workspace and mode' },
        ],
      });
    return row;
  }
  if (item.from) {
    // The sandbox's own number (a reserved 555 number, not a dialable one) is where test calls come from.
    if (!scope.livemode && item.from.trim() === channelKinds.voice.sandboxAddress) return null;
    const from = normalizePhone(item.from, defaultCountry);
    if (!from)
      throw new ApiError('validation_failed', 'from must be a phone number in E.164.', {
        errors: [{ field: 'from', message: 'must be a valid phone number (E.164)' }],
      });
    q = q.where('address', '=', from);
    const row = await q.executeTakeFirst();
    if (row) return row;
    // Test mode rehearses live: a number with no channel is refused there too.
    throw new ApiError(
      'channel_not_configured',
      scope.livemode
        ? `No active voice channel has the number ${from}.`
        : `No active test-mode voice channel has the number ${from}: test calls go out from the sandbox number ${channelKinds.voice.sandboxAddress} (leave out from) or from a voice channel created with a test key.`,
    );
  }
  const row = await q.orderBy('created_at', 'asc').executeTakeFirst();
  if (row) return row;
  if (scope.livemode && transport === 'phone')
    throw new ApiError(
      'channel_not_configured',
      'No voice channel is connected in live mode: connect one (POST /v1/channels, type voice) or use transport: "web".',
    );
  return null;
}

/** The channel a web call's conversation lives on when the workspace has no voice channel. */
async function webChannel(ctx: AppContext, tx: Tx, scope: Scope): Promise<ChannelRow> {
  if (!scope.livemode) return ensureSandboxChannel(tx.db, ctx, scope, 'voice');
  const address = channelKinds.voice.sandboxAddress;
  // Live mode from here on: a test-mode web call took the sandbox channel above.
  const find = () =>
    tenant(tx.db, scope)
      .selectFrom('channels')
      .selectAll()
      .where('type', '=', 'voice')
      .where('address', '=', address)
      .executeTakeFirst();
  const existing = await find();
  if (existing) return existing;
  const at = ctx.clock.now().toISOString();
  await tx.db
    .insertInto('channels')
    .values({
      id: newId('ch'),
      ...scopeColumns(scope),
      type: 'voice',
      provider: 'sandbox',
      address,
      agent_id: null,
      credentials: ctx.secrets.sealJson({}),
      settings: toJson({ purpose: 'web_calls' }),
      status: 'active',
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'livemode', 'type', 'address']).doNothing())
    .execute();
  return (await find())!;
}

/** Why a call to this contact is refused (opted out; on do-not-disturb without `ignore_dnd`), or null. */
function contactRefusal(contact: ContactRow, item: CallItem): ApiError | null {
  if (contact.opted_out === 1)
    return new ApiError('contact_opted_out', `Contact ${contact.id} opted out; no call was placed.`, {
      details: { contact_id: contact.id },
    });
  if (contact.dnd === 1 && !item.ignore_dnd)
    return new ApiError(
      'contact_dnd',
      `Contact ${contact.id} is on do-not-disturb; set ignore_dnd: true for a transactional or service call.`,
      { details: { contact_id: contact.id } },
    );
  return null;
}

const bringsContext = (item: CallItem) => Boolean(item.dynamic_variables || item.identifier || item.agent_id);

/**
 * A conversation after a call item reached it: the item's variables merged into the thread's,
 * its identifier and agent taken, a closed thread active again. Unchanged (the same row) when
 * the item brings none of these.
 */
function withCallContext(row: ConversationRow, item: CallItem, at: string): ConversationRow {
  if (!bringsContext(item)) return row;
  return {
    ...row,
    dynamic_variables: toJson({
      ...fromJson<Record<string, unknown>>(row.dynamic_variables, {}),
      ...(item.dynamic_variables ?? {}),
    }),
    ...(item.identifier ? { identifier: item.identifier } : {}),
    ...(item.agent_id ? { agent_id: item.agent_id } : {}),
    ...(row.status === 'closed' ? { status: 'active' as const, closed_at: null } : {}),
    updated_at: at,
  };
}

/**
 * Writes the admitted items of one request set-wise, each step one statement for the whole
 * batch: the contacts of new numbers (the same number twice is one contact) and of web callers,
 * the conversations of new threads, the calls, every event (`contact.created`, then
 * `conversation.created`, then `call.started`, so each object's events keep their order) and
 * the start (or join-timeout) jobs. A thread the batch reaches again, or one already stored,
 * takes each item's variables, identifier and agent in item order, as one-at-a-time writes did.
 * A number another transaction gave a contact meanwhile is that contact; if it opted out (or is
 * on do-not-disturb without `ignore_dnd`) its items are refused, with nothing written for them.
 */
async function writeCalls(
  ctx: AppContext,
  tx: Tx,
  caller: Caller,
  admitted: Prepared[],
  known: Map<string, ContactRow>,
  now: Date,
): Promise<{
  calls: Array<{ index: number; call: CallRow }>;
  refused: Array<{ index: number; error: ApiError }>;
}> {
  const scope: Scope = { workspaceId: caller.workspaceId, livemode: caller.livemode };
  const contactScope = { ...scope, defaultCountry: caller.defaultCountry };
  const at = now.toISOString();
  const refused: Array<{ index: number; error: ApiError }> = [];
  if (admitted.length === 0) return { calls: [], refused };

  // Contacts: one per new number, and one per web caller with no number (its own thread).
  const newByPhone = new Map<string, ContactRow>();
  const webContacts = new Map<number, ContactRow>();
  // Stamped by the wall clock, as contacts found-or-made one at a time are.
  const stamped = new Date().toISOString();
  for (const p of admitted) {
    if (p.to) {
      if (!known.has(p.to) && !newByPhone.has(p.to))
        newByPhone.set(p.to, newContactRow(contactScope, { phone: p.to, email: null, name: null }, stamped));
    } else {
      const row = newContactRow(contactScope, { phone: null, email: null, name: null }, at);
      row.attributes = toJson({ source: 'web_call' });
      webContacts.set(p.index, row);
    }
  }
  const contacts = await insertContacts(tx, scope, [...newByPhone.values(), ...webContacts.values()]);
  const contactOf = (p: Prepared): ContactRow =>
    p.to ? (known.get(p.to) ?? contacts.taken.get(p.to) ?? newByPhone.get(p.to)!) : webContacts.get(p.index)!;
  const live = admitted.filter((p) => {
    const taken = p.to ? contacts.taken.get(p.to) : undefined;
    const refusal = taken ? contactRefusal(taken, p.item) : null;
    if (refusal) refused.push({ index: p.index, error: refusal });
    return !refusal;
  });

  let web: ChannelRow | null = null;
  if (live.some((p) => !p.channel)) web = await webChannel(ctx, tx, scope);
  const channelOf = (p: Prepared): ChannelRow => p.channel ?? web!;

  // The threads the items reach, in item order; a contact this batch made has none stored yet.
  const threads = new Map<string, { items: Prepared[]; contact: ContactRow; channel: ChannelRow }>();
  for (const p of live) {
    const contact = contactOf(p);
    const channel = channelOf(p);
    const key = threadKey(channel.id, contact.id);
    const thread = threads.get(key);
    if (thread) thread.items.push(p);
    else threads.set(key, { items: [p], contact, channel });
  }
  const stored = new Map(
    (
      await findConversations(
        tx.db,
        scope,
        [...threads.values()]
          .filter((t) => !contacts.made.has(t.contact.id))
          .map((t) => ({ channelId: t.channel.id, contactId: t.contact.id })),
      )
    ).map((row) => [threadKey(row.channel_id, row.contact_id), row]),
  );
  const conversations = new Map<string, ConversationRow>();
  /** Stored threads the items changed (their context), written back below. */
  const changed = new Set<string>();
  const reach = (key: string, from: ConversationRow, items: Prepared[]) => {
    const row = items.reduce((r, p) => withCallContext(r, p.item, at), from);
    conversations.set(key, row);
    if (row !== from) changed.add(key);
  };
  /** New threads: stored as the items left them; `conversation.created` carries the first item's. */
  const fresh: Array<{ key: string; row: ConversationRow; first: ConversationRow; contact: ContactRow }> = [];
  for (const [key, t] of threads) {
    const found = stored.get(key);
    if (found) {
      reach(key, found, t.items);
      continue;
    }
    const [first, ...rest] = t.items as [Prepared, ...Prepared[]];
    const firstRow = newConversationRow(scope, {
      channel: t.channel,
      contact: t.contact,
      address: t.contact.phone ?? `web:${t.contact.id}`,
      agentId: first.item.agent_id ?? null,
      dynamicVariables: first.item.dynamic_variables,
      identifier: first.item.identifier,
      now,
    });
    const row = rest.reduce((r, p) => withCallContext(r, p.item, at), firstRow);
    fresh.push({ key, row, first: firstRow, contact: t.contact });
    conversations.set(key, row);
  }
  const threadsMade = await insertConversations(
    tx,
    scope,
    fresh.map((f) => f.row),
  );
  // A thread another transaction made meanwhile is that one, reached by all of its items.
  for (const f of fresh) {
    const winner = threadsMade.taken.get(f.key);
    if (winner) reach(f.key, winner, threads.get(f.key)!.items);
  }
  // Stored threads the items changed, written back with one update per 500.
  for (const part of chunked([...changed].map((key) => conversations.get(key)!))) {
    const when = <K extends keyof ConversationRow>(field: K) =>
      sql<ConversationRow[K]>`case id ${sql.join(
        part.map((row) => sql`when ${row.id} then ${row[field]}`),
        sql` `,
      )} end`;
    await tx.db
      .updateTable('conversations')
      .set({
        dynamic_variables: when('dynamic_variables'),
        identifier: when('identifier'),
        agent_id: when('agent_id'),
        status: when('status'),
        closed_at: when('closed_at'),
        updated_at: when('updated_at'),
      })
      .where(
        'id',
        'in',
        part.map((row) => row.id),
      )
      .execute();
  }

  const calls = live.map((p) => {
    const contact = contactOf(p);
    const channel = channelOf(p);
    const conversation = conversations.get(threadKey(channel.id, contact.id))!;
    return { index: p.index, call: callRow(scope, p, contact, conversation, channel, at) };
  });
  const rows = calls.map((c) => c.call);
  for (const part of chunked(rows, 100)) await tx.db.insertInto('calls').values(part).execute();

  const event = (type: EventType, data: EmitInput['data']): EmitInput => ({
    workspaceId: caller.workspaceId,
    livemode: caller.livemode,
    type,
    actor: caller.actor,
    data,
  });
  await tx.emitMany([
    // Contacts made for numbers (a web caller's contact has no event of its own).
    ...[...newByPhone.values()]
      .filter((c) => contacts.made.has(c.id))
      .map((c) => event('contact.created', presentContact(c))),
    ...fresh
      .filter((f) => threadsMade.made.has(f.row.id))
      .map((f) => event('conversation.created', presentConversation(f.first, f.contact))),
    ...rows.map((row) => event('call.started', presentCall(row))),
  ]);
  const job = (row: CallRow) => ({
    workspaceId: caller.workspaceId,
    livemode: caller.livemode,
    callId: row.id,
  });
  const phone = rows.filter((r) => r.transport === 'phone');
  const webRows = rows.filter((r) => r.transport !== 'phone');
  if (phone.length)
    await ctx.queue.enqueueMany(
      tx.db,
      startCallJob,
      phone.map((r) => ({ payload: job(r) })),
    );
  if (webRows.length)
    await ctx.queue.enqueueMany(
      tx.db,
      webJoinTimeoutJob,
      webRows.map((r) => ({
        payload: job(r),
        opts: { delayMs: ctx.config.voice.joinTimeoutSeconds * 1000 },
      })),
    );
  return { calls, refused };
}

/** The call row of one admitted item, queued. */
function callRow(
  scope: Scope,
  p: Prepared,
  contact: ContactRow,
  conversation: ConversationRow,
  channel: ChannelRow,
  at: string,
): CallRow {
  const { item } = p;
  return {
    id: newId('call'),
    ...scopeColumns(scope),
    conversation_id: conversation.id,
    contact_id: contact.id,
    agent_id: item.agent_id ?? null,
    voice_flow_id: item.voice_flow_id ?? null,
    campaign_id: item.campaign_id ?? null,
    direction: 'outbound',
    transport: p.transport,
    channel_id: channel.id,
    provider: p.provider,
    provider_call_id: null,
    from_address: p.transport === 'phone' ? channel.address : null,
    to_address: p.to,
    status: 'queued',
    answered_by: null,
    ended_reason: null,
    dynamic_variables: toJson(item.dynamic_variables ?? {}),
    identifier: item.identifier ?? null,
    ignore_dnd: item.ignore_dnd ? 1 : 0,
    sandbox: item.sandbox ? toJson(item.sandbox) : null,
    transcript: '[]',
    recording_url: null,
    transfer_started_at: null,
    latency: '{}',
    error_code: null,
    error_message: null,
    duration_seconds: null,
    queued_at: at,
    dialed_at: null,
    answered_at: null,
    ended_at: null,
    created_at: at,
    updated_at: at,
  };
}

// ---------------------------------------------------------------- media session tokens

const MEDIA_AUDIENCE = 'parley-call-media';

function mediaSecret(ctx: AppContext): Uint8Array {
  return createHmac('sha256', loadSecretKey(ctx.config)).update('parley:call-media-jwt:v1').digest();
}

function wsBase(ctx: AppContext): string {
  const base = (ctx.config.publicUrl ?? `http://localhost:${ctx.config.port}`).replace(/\/$/, '');
  return base.replace(/^http/, 'ws');
}

/** A call-scoped token for Parley's media WebSocket (`/v1/calls/{id}/media?token=...`), 15 minutes. */
export async function mediaSessionFor(ctx: AppContext, call: CallRow): Promise<MediaSession> {
  const custom = voiceRuntime(ctx).mediaSessions.get(call.provider);
  if (custom) return custom(call);
  const nowS = Math.floor(ctx.clock.now().getTime() / 1000);
  const token = await new SignJWT({ ws: call.workspace_id, lm: call.livemode === 1 })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(call.id)
    .setAudience(MEDIA_AUDIENCE)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + MEDIA_TOKEN_TTL_S)
    .sign(mediaSecret(ctx));
  return {
    provider: 'parley',
    room: call.id,
    token,
    url: `${wsBase(ctx)}/v1/calls/${call.id}/media?token=${token}`,
    identity: 'api-client',
    expires_at: new Date((nowS + MEDIA_TOKEN_TTL_S) * 1000).toISOString(),
  };
}

/** The call a media token admits to, or null (bad signature, expired, another call). */
export async function verifyMediaToken(
  ctx: AppContext,
  callId: string,
  token: string,
): Promise<Scope | null> {
  try {
    const { payload } = await jwtVerify(token, mediaSecret(ctx), {
      audience: MEDIA_AUDIENCE,
      currentDate: ctx.clock.now(),
    });
    if (payload.sub !== callId || typeof payload.ws !== 'string' || typeof payload.lm !== 'boolean')
      return null;
    return { workspaceId: payload.ws, livemode: payload.lm };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- status changes

const systemActor: Actor = { type: 'system', id: null };

export interface StatusChange {
  status: CallStatus;
  endedReason?: EndedReason;
  answeredBy?: string;
  providerCallId?: string;
  error?: { code: string; message: string };
  /** When it happened (defaults to the app clock). */
  at?: Date;
  actor?: Actor;
}

const eventFor = (from: CallStatus, to: CallStatus): EventType | null => {
  if (to === 'in_progress') return 'call.answered';
  if (to === 'completed' || to === 'voicemail') return 'call.completed';
  if (isTerminal(to)) return rank[from] >= rank.in_progress ? 'call.completed' : 'call.failed';
  return null;
};

/**
 * Moves a call's status forward (never back: a late `ringing` after `in_progress` changes
 * nothing) and emits its event in the same transaction. Returns the row after the change, or
 * null when the change was refused because the call is already at or past that status.
 */
export async function advanceCall(
  ctx: AppContext,
  callId: string,
  change: StatusChange,
): Promise<CallRow | null> {
  return ctx.transaction(async (tx) => advanceCallInTx(ctx, tx, callId, change));
}

export async function advanceCallInTx(
  ctx: AppContext,
  tx: Tx,
  callId: string,
  change: StatusChange,
): Promise<CallRow | null> {
  const before = await tx.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirst();
  if (!before || rank[before.status] >= rank[change.status]) return null;
  const at = (change.at ?? ctx.clock.now()).toISOString();
  const patch: Partial<CallRow> = { status: change.status, updated_at: at };
  if (change.status === 'dialing' || (change.status === 'ringing' && !before.dialed_at)) patch.dialed_at = at;
  if (change.status === 'in_progress') {
    patch.answered_at = at;
    patch.answered_by = change.answeredBy ?? 'human';
  }
  if (change.answeredBy) patch.answered_by = change.answeredBy;
  if (change.providerCallId) patch.provider_call_id = change.providerCallId;
  if (isTerminal(change.status)) {
    patch.ended_at = at;
    patch.ended_reason = change.endedReason ?? defaultReason(change.status);
    const answered = before.answered_at ?? patch.answered_at;
    patch.duration_seconds = answered
      ? Math.max(0, Math.round((Date.parse(at) - Date.parse(answered)) / 1000))
      : 0;
  }
  if (change.error) {
    patch.error_code = change.error.code;
    patch.error_message = change.error.message;
  }
  const r = await tx.db
    .updateTable('calls')
    .set(patch)
    .where('id', '=', callId)
    .where('status', 'in', statusesBefore(change.status))
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return null;
  const after = { ...before, ...patch } as CallRow;
  const type = eventFor(before.status, change.status);
  if (type) {
    await tx.emit({
      workspaceId: after.workspace_id,
      livemode: after.livemode === 1,
      type,
      actor: change.actor ?? systemActor,
      data: presentCall(after),
    });
  }
  return after;
}

function defaultReason(status: CallStatus): EndedReason {
  switch (status) {
    case 'busy':
      return 'busy';
    case 'no_answer':
      return 'no_answer';
    case 'voicemail':
      return 'voicemail';
    case 'canceled':
      return 'canceled';
    case 'failed':
      return 'failed_to_connect';
    default:
      return 'customer_ended_call';
  }
}

/** Stores the session's transcript and latency figures (any time, also after the call ended). */
export async function saveCallRecord(
  db: Db | Trx,
  callId: string,
  record: { transcript: TranscriptEntry[]; latency: CallLatency },
  at: Date,
) {
  await db
    .updateTable('calls')
    .set({
      transcript: toJson(record.transcript),
      latency: toJson(record.latency),
      updated_at: at.toISOString(),
    })
    .where('id', '=', callId)
    .execute();
}

/**
 * `POST /v1/calls/{id}/hangup`: ends a call that has not ended (409 when it has). A call not yet
 * answered becomes `canceled`; an answered one `completed`; both with `ended_reason: canceled`.
 * A session running the call (in this process or another) is told to hang up the far end.
 */
export async function hangupCall(
  ctx: AppContext,
  scope: Scope,
  id: string,
  actor: Actor,
): Promise<CallObject> {
  const row = await getCallRow(ctx.db, scope, id);
  if (isTerminal(row.status))
    throw new ApiError(
      'conflict',
      `Call ${id} has already ended (${row.status}); there is nothing to hang up.`,
    );
  const after = await advanceCall(ctx, id, {
    status: row.status === 'in_progress' ? 'completed' : 'canceled',
    endedReason: 'canceled',
    actor,
  });
  if (!after) {
    const now = await getCallRow(ctx.db, scope, id);
    if (isTerminal(now.status))
      throw new ApiError(
        'conflict',
        `Call ${id} has already ended (${now.status}); there is nothing to hang up.`,
      );
  }
  await voiceRuntime(ctx).requestHangup(ctx, id);
  return getCall(ctx, scope, id);
}
