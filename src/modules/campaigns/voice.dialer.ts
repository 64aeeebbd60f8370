import type { AppContext } from '../../platform/context.ts';
import { ApiError, type ErrorCode } from '../../platform/errors.ts';
import { fromJson } from '../../platform/json.ts';
import type { Reaction } from '../../platform/reactions.ts';
import {
  countActive,
  createCalls,
  findCallRow,
  findCampaignCall,
  hangupCall,
  isTerminal,
} from '../voice/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import { callEndedJob } from './campaigns.jobs.ts';
import { type CampaignDialer, onCampaignCallEnded } from './campaigns.service.ts';

/**
 * Voice campaigns dial through the calls service, as `POST /v1/calls` does (the same admission
 * against the plan's concurrent calls, DND and opt-out rules, sandbox callee in test mode), with
 * the campaign's id on each call.
 */
export const voiceDialer: CampaignDialer = {
  activeCalls: (db, scope) => countActive(db, scope),
  async placeCall(ctx, { campaign: c, contact, dynamicVariables, admit }) {
    const terms = await workspaceTerms(ctx.db, c.workspace_id);
    const { results, errors } = await createCalls(
      ctx,
      {
        workspaceId: c.workspace_id,
        livemode: c.livemode === 1,
        defaultCountry: terms.defaultCountry,
        actor: { type: 'system', id: null },
        limits: terms.limits,
      },
      [
        {
          ...(c.agent_id ? { agent_id: c.agent_id } : {}),
          ...(c.voice_flow_id ? { voice_flow_id: c.voice_flow_id } : {}),
          to: contact.phone,
          ...(c.from_address ? { from: c.from_address } : {}),
          dynamic_variables: dynamicVariables,
          ignore_dnd: c.ignore_dnd === 1,
          identifier: c.id,
          campaign_id: c.id,
        },
      ],
      { admit },
    );
    const made = results[0];
    if (made) return { callId: made.call.id };
    const e = errors[0]!;
    throw new ApiError(e.code as ErrorCode, e.message);
  },
  findCall: (db, campaignId, contactId, since) => findCampaignCall(db, campaignId, contactId, since),
  async hangup(ctx, scope, callIds) {
    for (const id of callIds)
      await hangupCall(ctx, scope, id, { type: 'system', id: null }).catch(() => undefined);
  },
};

/** Records, with a campaign call's final event, the job that settles its recipient. */
export function campaignCallSink(ctx: AppContext): Reaction['run'] {
  return async ({ db: trx }, events) => {
    for (const e of events) {
      if (e.event !== 'call.completed' && e.event !== 'call.failed') continue;
      if (!e.data.campaign_id) continue;
      await ctx.queue.enqueue(trx, callEndedJob, { callId: String(e.data.id) });
    }
  };
}

/** The call-ended job. */
export async function settleCampaignCall(ctx: AppContext, callId: string) {
  const call = await findCallRow(ctx.db, callId);
  if (!call || !isTerminal(call.status)) return;
  const vars = fromJson<Record<string, unknown>>(call.dynamic_variables, {});
  await ctx.transaction((tx) =>
    onCampaignCallEnded(ctx, tx, {
      callId,
      campaignId: call.campaign_id,
      contactId: call.contact_id,
      status: call.status,
      queuedAt: call.queued_at,
      endedAt: call.ended_at,
      durationSeconds: call.duration_seconds,
      outcome: typeof vars.flow_outcome === 'string' ? vars.flow_outcome : null,
      errorCode: call.error_code ?? call.ended_reason,
    }),
  );
}
