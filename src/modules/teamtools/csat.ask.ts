import type { AppContext } from '../../platform/context.ts';
import { randomToken } from '../../platform/crypto.ts';
import type { Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import type { Reaction } from '../../platform/reactions.ts';
import { kindOf } from '../channels/index.ts';
import { getConversationRow, windowOpen } from '../conversations/index.ts';
import { replyToConversation } from '../messaging/index.ts';
import { senderFor } from './actions.run.ts';
import { type CsatJob, csatAskJob } from './csat.jobs.ts';
import { type CsatSettings, effectiveCsat } from './csat.service.ts';
import type { CsatRequestsTable } from './teamtools.tables.ts';

/**
 * A deleted or erased contact's open questions end: their emailed links stop recording (they
 * answer as unknown) and nothing kept there names the person.
 */
async function endOpenQuestions(trx: Trx, scope: Scope, contactId: string, at: string) {
  await tenant(trx, scope)
    .updateTable('csat_requests')
    .set({ status: 'skipped', skip_reason: 'contact_deleted', comment: null, updated_at: at })
    .where('contact_id', '=', contactId)
    .where('status', '=', 'pending')
    .execute();
}

/**
 * `conversation.resolved` → one ask job, when some CSAT settings of the workspace are on; a
 * deleted or erased contact's open questions end.
 */
export function csatSink(ctx: AppContext): Reaction['run'] {
  return async ({ db: trx }, events) => {
    for (const e of events) {
      if (typeof e.data.id !== 'string') continue;
      const scope = { workspaceId: e.workspace_id, livemode: e.livemode };
      if (e.event === 'contact.deleted') {
        await endOpenQuestions(trx, scope, e.data.id, ctx.clock.now().toISOString());
        continue;
      }
      if (e.event !== 'conversation.resolved') continue;
      const on = await tenant(trx, scope)
        .selectFrom('csat_settings')
        .select('agent_id')
        .where('enabled', '=', 1)
        .executeTakeFirst();
      if (!on) continue;
      await ctx.queue.enqueue(trx, csatAskJob, { ...scope, conversationId: e.data.id, eventId: e.id });
    }
  };
}

const scoreWords = ['Very bad', 'Bad', 'OK', 'Good', 'Great'];

/** The question as the channel carries it: a list of 1-5 on WhatsApp, a digit on SMS, links on email. */
function questionFor(ctx: AppContext, channel: string, settings: CsatSettings, token: string) {
  if (kindOf(channel)?.messageTypes.includes('interactive'))
    return {
      interactive: {
        type: 'list' as const,
        body: settings.question,
        list: {
          button: 'Rate us',
          sections: [
            {
              rows: scoreWords.map((w, i) => ({ id: `csat_${i + 1}`, title: String(i + 1), description: w })),
            },
          ],
        },
      },
    };
  if (kindOf(channel)?.addressKind === 'email') {
    // A link in an email must be absolute: the public URL, else this server's own address (as the
    // channels' inbound URLs are built).
    const origin = (ctx.config.publicUrl ?? `http://localhost:${ctx.config.port}`).replace(/\/$/, '');
    const base = `${origin}/v1/csat/respond/${token}?score=`;
    const links = scoreWords.map((w, i) => `${i + 1} (${w}): ${base}${i + 1}`).join('\n');
    return { text: `${settings.question}\n\n${links}` };
  }
  return { text: `${settings.question} Reply with a digit from 1 (very bad) to 5 (great).` };
}

async function record(ctx: AppContext, row: CsatRequestsTable) {
  await ctx.db
    .insertInto('csat_requests')
    .values(row)
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
}

/** The ask job: asks once per resolve, on the conversation's channel, or records why it did not. */
export async function askCsat(ctx: AppContext, job: CsatJob) {
  const scope: Scope = { workspaceId: job.workspaceId, livemode: job.livemode };
  const seen = await tenant(ctx.db, scope)
    .selectFrom('csat_requests')
    .select('id')
    .where('event_id', '=', job.eventId)
    .executeTakeFirst();
  if (seen) return;
  const conv = await getConversationRow(ctx.db, scope, job.conversationId);
  const settings = await effectiveCsat(ctx.db, scope, conv.agent_id);
  if (!settings.enabled || conv.status !== 'closed') return;
  const now = ctx.clock.now().toISOString();
  const row: CsatRequestsTable = {
    ...newRow('csat', scope),
    conversation_id: conv.id,
    event_id: job.eventId,
    contact_id: conv.contact_id,
    agent_id: conv.agent_id,
    channel: conv.channel,
    status: 'pending',
    skip_reason: null,
    token: randomToken(18),
    score: null,
    comment: null,
    answered_at: null,
    created_at: now,
    updated_at: now,
  };
  // Never outside the WhatsApp window: a free-form question there would be refused (no template is used).
  if (kindOf(conv.channel)?.customerWindowHours && !windowOpen(conv, ctx.clock.now()))
    return record(ctx, { ...row, status: 'skipped', skip_reason: 'outside_customer_window' });
  await record(ctx, row);
  const sender = await senderFor(ctx, scope, { type: 'system', id: null });
  try {
    await replyToConversation(ctx, sender, conv.id, {
      ...questionFor(ctx, conv.channel, settings, row.token),
      after_close: true,
    });
  } catch (err) {
    await ctx.db
      .updateTable('csat_requests')
      .set({ status: 'skipped', skip_reason: (err as Error).message.slice(0, 200), updated_at: now })
      .where('id', '=', row.id)
      .execute();
  }
}
