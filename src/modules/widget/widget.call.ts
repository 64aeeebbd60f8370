import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { channelById } from '../channels/index.ts';
import { createCalls } from '../voice/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import type { WidgetChannel } from './widget.access.ts';
import type { WidgetVisitorsTable } from './widget.tables.ts';

/**
 * The widget's Call button: a web call (microphone → the media WebSocket) with the channel's
 * agent, whose caller is the visitor's own contact, so the call is on the same person as the
 * chat, in the same inbox. Answers the call page to open as an absolute URL on Parley's own
 * origin (`https://parley.example/app/call/{id}?token=...`): the widget runs on the business's
 * site, where a relative link is a page of that site. The origin is `PARLEY_PUBLIC_URL`, else the
 * one the widget's request reached (behind a proxy, with PARLEY_TRUST_PROXY, its forwarded host).
 */
export async function startVisitorCall(
  ctx: AppContext,
  channel: WidgetChannel,
  visitor: WidgetVisitorsTable,
  requestOrigin: string,
) {
  const c = channel.config;
  const row = await channelById(ctx.db, c.id);
  if (!row?.agent_id) throw new ApiError('unprocessable', 'This widget has no agent to call.');
  const terms = await workspaceTerms(ctx.db, c.workspaceId);
  const caller = {
    workspaceId: c.workspaceId,
    livemode: c.livemode,
    defaultCountry: terms.defaultCountry,
    actor: { type: 'customer' as const, id: visitor.contact_id },
    limits: terms.limits,
  };
  const { results, errors } = await createCalls(ctx, caller, [
    { agent_id: row.agent_id, transport: 'web', contact_id: visitor.contact_id },
  ]);
  const placed = results[0];
  if (!placed) {
    const e = errors[0];
    throw new ApiError(
      e?.code === 'concurrency_limited' ? 'concurrency_limited' : 'unprocessable',
      e?.message ?? 'The call could not be placed.',
    );
  }
  const base = (ctx.config.publicUrl || requestOrigin).replace(/\/$/, '');
  const session = placed.media_session as { token: string } | null;
  return {
    call_id: placed.call.id,
    url: `${base}/app/call/${placed.call.id}?token=${encodeURIComponent(session?.token ?? '')}`,
  };
}
