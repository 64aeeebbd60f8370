import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import type { Trx } from '../../platform/db/database.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { ApiError, notFound, validationFailed } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { getAgentRow } from '../agents/index.ts';
import { activeVoiceChannel, type ChannelRow, channelKinds } from '../channels/index.ts';
import {
  type ContactRow,
  findContactsByPhones,
  invalidPhoneMessage,
  normalizePhone,
} from '../contacts/index.ts';
import { checkWebCall, speechOf } from './call-speech.ts';
import { mediaSessionFor } from './calls.media.ts';
import { presentCall } from './calls.present.ts';
import { type Concurrency, concurrencyHeaders, countActive } from './calls.service.ts';
import {
  type Caller,
  type CallItem,
  contactRefusal,
  type ItemError,
  type Prepared,
  writeCalls,
} from './calls.write.ts';
import { voiceRuntime } from './voice.runtime.ts';
import type { CallRow } from './voice.tables.ts';

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
      const admitted = admitInOrder(prepared, known, { free, limit }, errors);
      free -= admitted.length;
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

/**
 * Admission, in order, until the free slots run out: later items get `concurrency_limited`. A
 * refused item (opted out, DND) takes no slot and has nothing written for it.
 */
function admitInOrder(
  prepared: Prepared[],
  known: Map<string, ContactRow>,
  slots: { free: number; limit: number | null },
  errors: ItemError[],
): Prepared[] {
  let free = slots.free;
  const admitted: Prepared[] = [];
  for (const p of prepared) {
    if (free <= 0) {
      errors.push({
        index: p.index,
        code: 'concurrency_limited',
        message: `The workspace's limit of ${slots.limit} concurrent calls is reached; retry when a call ends.`,
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
  return admitted;
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

/** The item's own fields (who answers, the number, the transport): a 400 naming each bad one. */
function checkItemFields(caller: Caller, item: CallItem): { transport: 'phone' | 'web'; to: string | null } {
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
  return { transport, to };
}

async function prepareItem(
  ctx: AppContext,
  caller: Caller,
  index: number,
  item: CallItem,
  lookups: Lookups,
): Promise<Prepared> {
  const scope: Scope = { workspaceId: caller.workspaceId, livemode: caller.livemode };
  const { transport, to } = checkItemFields(caller, item);
  const agentId = item.agent_id;
  if (agentId) await once(lookups, `agent:${agentId}`, () => getAgentRow(ctx.db, scope, agentId));
  const flowId = item.voice_flow_id;
  if (flowId) {
    const lookup = ctx.ports.voiceFlowExists;
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
  if (item.channel_id) {
    const row = await activeVoiceChannel(ctx.db, scope, { id: item.channel_id });
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
    const row = await activeVoiceChannel(ctx.db, scope, { address: from });
    if (row) return row;
    // Test mode rehearses live: a number with no channel is refused there too.
    throw new ApiError(
      'channel_not_configured',
      scope.livemode
        ? `No active voice channel has the number ${from}.`
        : `No active test-mode voice channel has the number ${from}: test calls go out from the sandbox number ${channelKinds.voice.sandboxAddress} (leave out from) or from a voice channel created with a test key.`,
    );
  }
  const row = await activeVoiceChannel(ctx.db, scope, {});
  if (row) return row;
  if (scope.livemode && transport === 'phone')
    throw new ApiError(
      'channel_not_configured',
      'No voice channel is connected in live mode: connect one (POST /v1/channels, type voice) or use transport: "web".',
    );
  return null;
}
