import { ParleyError } from '@parley/sdk';
import type { CommandContext } from './commands.ts';
import { CliError, EXIT, usageError } from './errors.ts';
import { json, table } from './output.ts';

/** "95 s", "4 min", "2 h 5 min". */
function waited(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const min = Math.floor(seconds / 60);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** `parley teams queue <team_id>`: what waits for the team's members, oldest first. */
export async function teamsQueue(ctx: CommandContext, teamId: string, limit?: number): Promise<void> {
  const q = await ctx.client.teams.queue(teamId, limit ? ({ limit } as never) : undefined);
  if (ctx.json) return ctx.io.out(json(q));
  const members = q.members.map(
    (m) => `${m.user_id} (${m.availability}${m.capacity === null ? '' : `, max ${m.capacity}`})`,
  );
  ctx.io.out(
    [
      `${q.total} waiting · ${q.assignment.mode}${members.length ? ` · ${members.join(', ')}` : ' · no members'}`,
      table(q.data as Array<Record<string, any>>, [
        { header: '#', value: (e) => e.position },
        { header: 'conversation', value: (e) => e.conversation_id, max: 40 },
        { header: 'channel', value: (e) => e.channel },
        { header: 'priority', value: (e) => e.priority },
        { header: 'waiting', value: (e) => waited(e.waiting_seconds) },
        { header: 'last message', value: (e) => e.last_message, max: 50 },
      ]),
    ].join('\n'),
  );
}

/** `parley assign <conversation_id> --user <id>|--team <id>|--none`. */
export async function assign(
  ctx: CommandContext,
  conversationId: string,
  o: { user?: string; team?: string; none?: boolean },
): Promise<void> {
  const given = [o.user, o.team, o.none ? 'none' : undefined].filter(Boolean);
  if (given.length !== 1)
    throw usageError('parley assign: give exactly one of --user <user_id>, --team <team_id> or --none.');
  const body = o.team ? { team_id: o.team } : { user_id: o.none ? null : (o.user as string) };
  const c = await ctx.client.post('/v1/conversations/{id}/assign', {
    params: { id: conversationId },
    body,
  } as never);
  if (ctx.json) return ctx.io.out(json(c));
  const a = (c as { assignee: { type: string; id: string } | null }).assignee;
  ctx.io.out(a ? `Assigned ${conversationId} to ${a.type} ${a.id}` : `${conversationId} is unassigned`);
}

const STATES = ['online', 'busy', 'offline', 'auto'];

/**
 * `parley availability set online|busy|offline|auto` (and `parley availability` to show it):
 * a person's own availability, so the credential must be an inbox session token; an API key
 * gets the API's 403, which says so (with how to get a session token).
 */
export async function availability(ctx: CommandContext, state?: string): Promise<void> {
  if (state !== undefined && !STATES.includes(state))
    throw usageError(`parley availability set: the state is one of ${STATES.join(', ')} (got "${state}").`);
  const a = await (state
    ? ctx.client.availability.set({ availability: state as 'online' })
    : ctx.client.availability.get()
  ).catch((err: unknown) => {
    // The API's 403 is not a missing scope here (the generic hint would say so): no key can do it.
    if (err instanceof ParleyError && err.code === 'forbidden')
      throw new CliError(
        EXIT.auth,
        'forbidden',
        `${err.message}${err.requestId ? ` (request ${err.requestId})` : ''} Sign in (POST /v1/auth/login) and pass the session token as --api-key.`,
      );
    throw err;
  });
  if (ctx.json) return ctx.io.out(json(a));
  ctx.io.out(
    `${a.availability}${a.set_by_hand ? ' (set by hand)' : ' (auto: online while the inbox is open)'}`,
  );
}
