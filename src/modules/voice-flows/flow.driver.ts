import type { AppContext } from '../../platform/context.ts';
import { scopeOf, tenant } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Actor } from '../../platform/events.ts';
import { fromJson } from '../../platform/json.ts';
import { agentConfig, getAgentRow } from '../agents/index.ts';
import type { Turn } from '../ai/index.ts';
import { liveTools, runEngine } from '../ai/index.ts';
import { createBooking } from '../bookings/index.ts';
import { getContactRow, updateContact } from '../contacts/index.ts';
import { findConversationRow } from '../conversations/index.ts';
import { captureLead } from '../leads/index.ts';
import { sendMessage } from '../messaging/index.ts';
import { type CallDriver, type CallRow, type DriverChunk, mergeCallVariables } from '../voice/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import type { Captured } from './capture.ts';
import { type FlowEffects, FlowRun, type FlowStep, fillValue, type Variables } from './runner.ts';
import { webhookJob } from './voice-flows.jobs.ts';
import type { FlowNode } from './voice-flows.schemas.ts';

const flowActor: Actor = { type: 'ai', id: null };

/** Actions an agent's turn took, as the events that can move an agent node on. */
const eventsOf = (actions: Array<{ type: string }>) =>
  actions.flatMap((a) =>
    a.type === 'lead_captured'
      ? ['lead.captured']
      : a.type === 'booking_created'
        ? ['booking.created']
        : a.type === 'handoff'
          ? ['conversation.escalated']
          : [],
  );

/**
 * Stores captured values and the outcome on the call (its `dynamic_variables`), so the call
 * object and a campaign see them.
 */
async function saveCallVariables(ctx: AppContext, callId: string, values: Record<string, unknown>) {
  await ctx.transaction((tx) => mergeCallVariables(tx.db, callId, values));
}

/**
 * What a flow does on a real call: leads, bookings, tags and messages through the same services
 * as the API (events included), signed webhooks through a durable job, agent nodes through the
 * agent's engine with its live tools. A failed action follows its node's `on_fail`.
 */
function liveEffects(ctx: AppContext, call: CallRow, flowId: string, defaultCountry: string): FlowEffects {
  const scope = { ...scopeOf(call), defaultCountry };
  const guard = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      return { ok: true };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      ctx.logger.info({ callId: call.id, code: err.code, message: err.message }, 'voice flow action failed');
      return { ok: false };
    }
  };
  const leadInput = (fields: Record<string, string>) => {
    const { name, email, phone, intent, ...rest } = fields;
    return {
      ...(call.conversation_id ? { conversation_id: call.conversation_id } : {}),
      ...(call.contact_id && !call.conversation_id ? { contact_id: call.contact_id } : {}),
      ...(name ? { name } : {}),
      ...(email ? { email } : {}),
      ...(phone ? { phone } : {}),
      ...(intent ? { intent } : {}),
      source: 'voice_flow',
      ...(Object.keys(rest).length ? { fields: rest } : {}),
    };
  };
  return {
    async action(node, n, vars) {
      const fill = (s: string) => fillValue(s, vars);
      switch (n.action) {
        case 'capture_lead': {
          const fields = Object.fromEntries(
            Object.entries(n.fields ?? {})
              .map(([k, v]) => [k, fill(v)] as const)
              .filter(([, v]) => v !== ''),
          );
          return guard(() => captureLead(ctx, scope, leadInput(fields), flowActor));
        }
        case 'book': {
          const agentId = n.agent_id ?? call.agent_id;
          const startAt = Date.parse(fill(n.start_at ?? ''));
          if (!agentId || Number.isNaN(startAt)) return { ok: false };
          return guard(() =>
            createBooking(
              ctx,
              scope,
              {
                agent_id: agentId,
                start_at: new Date(startAt).toISOString(),
                ...(n.service_id ? { service_id: n.service_id } : {}),
                ...(call.contact_id ? { contact_id: call.contact_id } : {}),
                ...(call.conversation_id ? { conversation_id: call.conversation_id } : {}),
                notes: `Booked by voice flow ${flowId}`,
              } as Parameters<typeof createBooking>[2],
              flowActor,
            ),
          );
        }
        case 'tag': {
          if (!call.contact_id) return { ok: false };
          return guard(async () => {
            const contact = await getContactRow(ctx.db, scope, call.contact_id!);
            const tags = [...new Set([...fromJson<string[]>(contact.tags, []), ...(n.tags ?? [])])];
            await updateContact(ctx, scope, contact.id, { tags }, flowActor);
          });
        }
        case 'webhook':
          await ctx.queue.enqueue(ctx.db, webhookJob, {
            flowId,
            url: fill(n.url ?? ''),
            payload: {
              type: 'voice_flow.webhook',
              voice_flow_id: flowId,
              node,
              call_id: call.id,
              contact_id: call.contact_id,
              livemode: call.livemode === 1,
              variables: vars,
            },
          });
          return { ok: true };
        case 'send_message': {
          const to = call.to_address ?? call.from_address;
          if (!to) return { ok: false };
          const { limits } = await workspaceTerms(ctx.db, call.workspace_id);
          return guard(() =>
            sendMessage(
              ctx,
              {
                ...scope,
                actor: flowActor,
                limits,
              },
              {
                to,
                channel: n.channel ?? 'whatsapp',
                ...(n.template
                  ? {
                      type: 'template' as const,
                      template: {
                        name: n.template.name,
                        ...(n.template.language ? { language: n.template.language } : {}),
                        ...(n.template.variables
                          ? {
                              variables: Object.fromEntries(
                                Object.entries(n.template.variables).map(([k, v]) => [k, fill(v)]),
                              ),
                            }
                          : {}),
                      },
                    }
                  : { type: 'text' as const, text: fill(n.text ?? '') }),
              } as Parameters<typeof sendMessage>[2],
            ),
          );
        }
      }
    },
    async agentTurn(_node, n, said, history, vars) {
      const row = await getAgentRow(ctx.db, scope, n.agent_id);
      const agent = agentConfig(ctx, row);
      const conversation = call.conversation_id
        ? await findConversationRow(ctx.db, scope, call.conversation_id)
        : undefined;
      if (!conversation) return { reply: '', events: [] };
      const strings: Record<string, string> = {};
      for (const [k, v] of Object.entries(vars)) strings[k] = String(v);
      const result = await runEngine(
        {
          agent,
          messages: [said],
          history: history.slice(-20) as Turn[],
          variables: strings,
          now: ctx.clock.now(),
          defaultCountry,
        },
        liveTools(ctx, scope, agent, conversation),
        { timeoutMs: 15_000, maxSteps: 4, logger: ctx.logger },
      );
      return { reply: result.reply, events: eventsOf(result.actions) };
    },
    async captured(_node, varName, value, mapTo) {
      await saveCallVariables(ctx, call.id, { [varName]: value });
      if (!mapTo) return;
      await mapCapture(ctx, call, scope, mapTo, value, leadInput).catch((err) => {
        if (!(err instanceof ApiError)) throw err;
        ctx.logger.info({ callId: call.id, mapTo, code: err.code }, 'captured value not stored');
      });
    },
  };
}

/** `map_to`: the contact's name, email or an attribute, or a field of the call's lead. */
async function mapCapture(
  ctx: AppContext,
  call: CallRow,
  scope: { workspaceId: string; livemode: boolean; defaultCountry: string },
  mapTo: string,
  value: Captured,
  leadInput: (fields: Record<string, string>) => Record<string, unknown>,
) {
  const [target, field, key] = mapTo.split('.') as [string, string, string | undefined];
  if (target === 'contact' && call.contact_id) {
    const input = field === 'attributes' ? { attributes: { [key!]: value } } : { [field]: String(value) };
    await updateContact(ctx, scope, call.contact_id, input, flowActor);
    return;
  }
  if (target === 'lead') {
    const fields = field === 'fields' ? { [key!]: String(value) } : { [field]: String(value) };
    await captureLead(ctx, scope, leadInput(fields) as Parameters<typeof captureLead>[2], flowActor);
  }
}

function chunksOf(step: FlowStep): DriverChunk[] {
  const out: DriverChunk[] = step.say.map((u) => ({
    type: 'say' as const,
    text: u.text,
    ...(u.interruptible ? {} : { interruptible: false }),
  }));
  if (step.end?.reason === 'transferred')
    out.push({ type: 'transfer', to: step.end.transferTo, reason: 'voice flow transfer' });
  else if (step.end) out.push({ type: 'end_call', reason: 'flow_ended' });
  return out;
}

/**
 * A voice flow speaking on a call (the call engine's driver): the caller's words and keys go to
 * the flow runner, its sentences come back to be spoken; the flow's end hangs up (`flow_ended`)
 * or transfers. Silence of the ask node's `timeout_seconds` reaches it as no input, on every
 * silence: the node asks again up to its `retries`, then goes to `on_no_input` (or ends). Captured values and the outcome land in the call's variables.
 */
export async function flowDriver(
  ctx: AppContext,
  call: CallRow,
  base: { variables: Record<string, string>; defaultCountry: string },
): Promise<CallDriver> {
  const row = await tenant(ctx.db, scopeOf(call)).findById('voice_flows', call.voice_flow_id!);
  if (!row) throw new Error(`Voice flow ${call.voice_flow_id} no longer exists.`);
  const run = new FlowRun(
    {
      start: row.start_node,
      nodes: fromJson<Record<string, FlowNode>>(row.nodes, {}),
      variables: fromJson<Variables>(row.variables, {}),
      timezone: row.timezone,
    },
    {
      variables: base.variables,
      effects: liveEffects(ctx, call, row.id, base.defaultCountry),
      now: () => ctx.clock.now(),
      defaultCountry: base.defaultCountry,
    },
  );
  // The ask node (or agent node) waiting for the caller: its timeout and retries rule silence.
  let listening: FlowStep['listen'] = null;
  const finish = async (step: FlowStep) => {
    listening = step.end ? null : step.listen;
    if (step.end)
      await saveCallVariables(ctx, call.id, {
        flow_outcome: step.end.outcome,
        flow_path: run.path.join(' > '),
      });
    return chunksOf(step);
  };
  return {
    async *start() {
      yield* await finish(await run.start());
    },
    async *reply(turn) {
      const input = turn.dtmf ? { dtmf: turn.dtmf } : { text: turn.text };
      yield* await finish(await run.input(input));
    },
    async *reprompt() {
      yield* await finish(await run.input({ noInput: true }));
    },
    async *transferFailed() {
      yield* await finish(await run.transferFailed());
    },
    handlesSilence() {
      return listening ? { timeoutMs: listening.timeoutSeconds * 1000 } : null;
    },
  };
}
