import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { inScope, type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import type { Auth } from '../../platform/http/route.ts';
import { fromJson } from '../../platform/json.ts';
import type { UsersTable } from './users.tables.ts';

export type Availability = 'online' | 'busy' | 'offline';

/** A team's assignment rule (SPEC: Team operations). */
export interface TeamRule {
  mode: 'manual' | 'round_robin' | 'balanced';
  only_online: boolean;
  max_per_user: number | null;
}

export const DEFAULT_RULE: TeamRule = { mode: 'manual', only_online: true, max_per_user: null };

export function parseRule(json: string | null | undefined): TeamRule {
  const r = fromJson<Partial<TeamRule>>(json ?? null, {});
  return { ...DEFAULT_RULE, ...r, max_per_user: r.max_per_user ?? null };
}

/**
 * A presence row lives `PARLEY_PRESENCE_TTL_SECONDS` (60 s) unless its process refreshes it, every
 * third of that (a killed process's rows expire).
 */
const ttlMs = (ctx: AppContext) => ctx.config.presenceTtlSeconds * 1000;

/** What routing hears: these users or teams may have room now (came online, capacity raised, rule changed). */
export interface RoomMaybeFreed {
  scope: Scope;
  userIds: string[];
  teamIds: string[];
}

declare module '../../platform/ports.ts' {
  interface Ports {
    /** Routing (a module above) gives out waiting conversations when people may take them (provided by the conversations module). */
    roomMaybeFreed: (tx: Tx, e: RoomMaybeFreed) => Promise<void>;
  }
}

/** The users of `ids` with a live presence row (an open inbox on some process). */
export async function presentUserIds(db: Db | Trx, ids: string[], now: Date): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await db
    .selectFrom('user_presence')
    .select('user_id')
    .where('user_id', 'in', ids)
    .where('expires_at', '>', now.toISOString())
    .execute();
  return new Set(rows.map((r) => r.user_id));
}

/** Set by hand wins; otherwise online while the inbox is open somewhere. */
export const effectiveAvailability = (
  row: Pick<UsersTable, 'availability'>,
  present: boolean,
): Availability => row.availability ?? (present ? 'online' : 'offline');

export interface RoutingMember {
  id: string;
  availability: Availability;
  /** The tighter of the user's capacity and the team's `max_per_user` (null: no limit). */
  capacity: number | null;
}

export interface RoutingTeam {
  id: string;
  rule: TeamRule;
  rrCursor: string | null;
  members: RoutingMember[];
}

const tighter = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));

/**
 * A team with its rule and its members' availability and capacity, for routing; undefined if gone.
 * One statement (the team, its members and their presence), as it runs in every routing decision.
 */
export async function teamForRouting(
  db: Db | Trx,
  scope: Scope,
  teamId: string,
  now: Date,
): Promise<RoutingTeam | undefined> {
  const rows = await tenant(db, scope)
    .selectFrom('teams')
    .leftJoin('team_members', 'team_members.team_id', 'teams.id')
    .leftJoin('users', (j) => j.onRef('users.id', '=', 'team_members.user_id').on(inScope(scope, 'users')))
    .select((eb) => [
      'teams.id as team_id',
      'teams.assignment',
      'teams.rr_cursor',
      'users.id as user_id',
      'users.availability',
      'users.max_open_conversations',
      eb
        .exists(
          eb
            .selectFrom('user_presence')
            .select('user_presence.user_id')
            .whereRef('user_presence.user_id', '=', 'users.id')
            .where('user_presence.expires_at', '>', now.toISOString()),
        )
        .as('present'),
    ])
    .where('teams.id', '=', teamId)
    .orderBy('users.id')
    .execute();
  const team = rows[0];
  if (!team) return undefined;
  const rule = parseRule(team.assignment);
  return {
    id: team.team_id,
    rule,
    rrCursor: team.rr_cursor,
    members: rows.flatMap((u) =>
      u.user_id === null
        ? []
        : [
            {
              id: u.user_id,
              availability: effectiveAvailability(u, Boolean(u.present)),
              capacity: tighter(u.max_open_conversations, rule.max_per_user),
            },
          ],
    ),
  };
}

export async function setRoundRobinCursor(db: Db | Trx, teamId: string, userId: string) {
  await db.updateTable('teams').set({ rr_cursor: userId }).where('id', '=', teamId).execute();
}

/** The teams a user belongs to, by id. */
export async function teamIdsOf(db: Db | Trx, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('team_members')
    .select('team_id')
    .where('user_id', '=', userId)
    .orderBy('team_id')
    .execute();
  return rows.map((r) => r.team_id);
}

/** Whether this user is online now (set by hand, or by an open inbox). */
export async function isOnline(db: Db | Trx, scope: Scope, userId: string, now: Date): Promise<boolean> {
  const row = await tenant(db, scope).findById('users', userId);
  if (!row) return false;
  return effectiveAvailability(row, (await presentUserIds(db, [row.id], now)).has(row.id)) === 'online';
}

/** Whether any person of this workspace and mode is online now (the website widget offers its fallbacks when nobody is). */
export async function anyoneOnline(db: Db | Trx, scope: Scope, now: Date): Promise<boolean> {
  const rows = await tenant(db, scope).selectFrom('users').select(['id', 'availability']).execute();
  const present = await presentUserIds(
    db,
    rows.map((r) => r.id),
    now,
  );
  return rows.some((r) => effectiveAvailability(r, present.has(r.id)) === 'online');
}

/** Whether a user of this workspace and mode exists (assignment checks). */
export async function userRow(db: Db | Trx, scope: Scope, id: string) {
  return tenant(db, scope).findById('users', id);
}

async function announceRoom(ctx: AppContext, scope: Scope, userIds: string[], teamIds: string[]) {
  const freed = ctx.ports.roomMaybeFreed;
  if (freed) await ctx.transaction((tx) => freed(tx, { scope, userIds, teamIds }));
}

/** `PUT /v1/me/availability`: a signed-in user sets it by hand; `auto` goes back to presence. */
export async function setMyAvailability(ctx: AppContext, auth: Auth, value: Availability | 'auto') {
  if (auth.kind !== 'user')
    throw new ApiError(
      'forbidden',
      "Availability belongs to a person: call this with an inbox session, or set a user's with PUT /v1/users/{id}/availability.",
    );
  return setAvailability(ctx, auth, auth.principalId, value);
}

export async function setAvailability(
  ctx: AppContext,
  scope: Scope,
  userId: string,
  value: Availability | 'auto',
) {
  const row = await tenant(ctx.db, scope).getById('users', userId, 'user');
  const now = ctx.clock.now();
  await ctx.db
    .updateTable('users')
    .set({ availability: value === 'auto' ? null : value, updated_at: now.toISOString() })
    .where('id', '=', row.id)
    .execute();
  await announceRoom(ctx, scope, [row.id], []);
  return availabilityOf(ctx, scope, row.id);
}

export async function availabilityOf(ctx: AppContext, scope: Scope, userId: string) {
  const row = await tenant(ctx.db, scope).getById('users', userId, 'user');
  const present = (await presentUserIds(ctx.db, [row.id], ctx.clock.now())).has(row.id);
  return {
    object: 'availability' as const,
    user_id: row.id,
    availability: effectiveAvailability(row, present),
    set_by_hand: row.availability !== null,
    inbox_open: present,
    max_open_conversations: row.max_open_conversations,
  };
}

/**
 * This process's live inbox connections per user. Each user with at least one has a presence row
 * for this process, refreshed every 20 s and expiring after 60 s (`PARLEY_PRESENCE_TTL_SECONDS`), so another process (or this one
 * after a kill -9) sees them go offline by themselves.
 */
export class PresenceTracker {
  readonly processId = randomUUID();
  readonly #open = new Map<string, { scope: Scope; n: number }>();
  #timer: NodeJS.Timeout | undefined;
  private readonly ctx: AppContext;

  constructor(ctx: AppContext) {
    this.ctx = ctx;
  }

  /** A user's live connection opened; returns its release. */
  async open(scope: Scope, userId: string): Promise<() => void> {
    const entry = this.#open.get(userId);
    if (entry) entry.n++;
    else {
      this.#open.set(userId, { scope, n: 1 });
      await this.#arrive(scope, userId).catch((err) =>
        this.ctx.logger.warn({ err }, 'presence: could not record an open inbox'),
      );
    }
    this.#timer ??= setInterval(() => void this.#refresh(), Math.floor(ttlMs(this.ctx) / 3));
    this.#timer.unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      void this.#leave(userId);
    };
  }

  async #arrive(scope: Scope, userId: string) {
    const now = this.ctx.clock.now();
    const wasPresent = (await presentUserIds(this.ctx.db, [userId], now)).has(userId);
    const expires = new Date(now.getTime() + ttlMs(this.ctx)).toISOString();
    await this.ctx.db
      .insertInto('user_presence')
      .values({ user_id: userId, process_id: this.processId, expires_at: expires })
      .onConflict((oc) => oc.columns(['user_id', 'process_id']).doUpdateSet({ expires_at: expires }))
      .execute();
    if (!wasPresent) await announceRoom(this.ctx, scope, [userId], []);
  }

  async #leave(userId: string) {
    const entry = this.#open.get(userId);
    if (!entry) return;
    if (--entry.n > 0) return;
    this.#open.delete(userId);
    await this.ctx.db
      .deleteFrom('user_presence')
      .where('user_id', '=', userId)
      .where('process_id', '=', this.processId)
      .execute()
      .catch((err) => this.ctx.logger.warn({ err }, 'presence: could not record a closed inbox'));
    if (!this.#open.size) this.stop();
  }

  async #refresh() {
    const ids = [...this.#open.keys()];
    if (!ids.length) return;
    const expires = new Date(this.ctx.clock.now().getTime() + ttlMs(this.ctx)).toISOString();
    await this.ctx.db
      .updateTable('user_presence')
      .set({ expires_at: expires })
      .where('process_id', '=', this.processId)
      .where('user_id', 'in', ids)
      .execute()
      .catch((err) => this.ctx.logger.warn({ err }, 'presence refresh failed'));
  }

  stop() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The app closes: its connections end with it. */
  async close() {
    this.stop();
    this.#open.clear();
    await this.ctx.db
      .deleteFrom('user_presence')
      .where('process_id', '=', this.processId)
      .execute()
      .catch(() => {});
  }
}

/** Opens a presence for an inbox session's live connection (API keys have none): returns its release. */
export async function openPresence(ctx: AppContext, auth: Auth): Promise<() => void> {
  if (auth.kind !== 'user') return () => {};
  return ctx.modules.users.presence.open(auth, auth.principalId);
}
