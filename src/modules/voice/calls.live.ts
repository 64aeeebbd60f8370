import type { AppContext } from '../../platform/context.ts';
import { scopeOf } from '../../platform/db/scope.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson } from '../../platform/json.ts';
import { agentConfig, findAgentRow } from '../agents/index.ts';
import { variablesOf } from '../ai/index.ts';
import { findContactRow } from '../contacts/index.ts';
import { findConversationRow, noteLastMessage } from '../conversations/index.ts';
import type { MessageRow } from '../messaging/index.ts';
import { insertMessageRow, presentMessage } from '../messaging/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import { agentDriver } from './agent.driver.ts';
import { callScreener } from './call-screening.ts';
import { agentVoice, callSpeech, noSttNotice } from './call-speech.ts';
import { advanceCall, saveCallRecord } from './calls.lifecycle.ts';
import { lineWriter } from './calls.line-writer.ts';
import { type CallLatency, type EndedReason, isTerminal, type TranscriptEntry } from './calls.service.ts';
import { RealScheduler, VirtualScheduler } from './engine/scheduler.ts';
import { CallSession, type SessionRecorder, type TurnTiming } from './engine/session.ts';
import { emptyTurnCounts } from './engine/turn-taking.ts';
import type { CallDriver, CallTransport, DialProgress, Scheduler } from './engine/types.ts';
import { SpeechUnavailable, type speechFor } from './speech/index.ts';
import { startCallJob } from './voice.jobs.ts';
import { voiceRuntime } from './voice.runtime.ts';
import { sessionSettingsOf } from './voice.settings.ts';
import type { CallRow } from './voice.tables.ts';

const loadCall = (ctx: AppContext, id: string) =>
  ctx.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();

/** The time a call runs on: virtual for sandbox calls when PARLEY_VOICE_SANDBOX_PACE=virtual. */
function schedulerFor(ctx: AppContext, call: CallRow): Scheduler {
  return call.provider === 'sandbox' && ctx.config.voice.sandboxPace === 'virtual'
    ? new VirtualScheduler()
    : new RealScheduler();
}

/**
 * Wall-clock timestamps of a call on its own time: the scheduler's offset added to when the
 * call started here (equal to the wall clock on real time).
 */
function clockOf(ctx: AppContext, sched: Scheduler) {
  const base = ctx.clock.now().getTime() - sched.now();
  return () => new Date(base + sched.now());
}

/** The `calls.start` job: hands an outbound phone call to its carrier. */
export async function startCall(ctx: AppContext, callId: string) {
  const call = await loadCall(ctx, callId);
  if (call?.status !== 'queued') return;
  const rt = voiceRuntime(ctx);
  if (rt.closing || rt.draining) {
    // This process is draining or shutting down (no new call starts here): the call is placed by the
    // next process to run jobs, or this one started again. Checked in the same turn as the
    // registration below, so a dial either is refused here or is one that closing stops.
    await ctx.queue.enqueue(ctx.db, startCallJob, { ...scopeOf(call), callId: call.id }, { delayMs: 1000 });
    return;
  }
  const carrier = rt.carriers.get(call.provider);
  if (!carrier) {
    await advanceCall(ctx, call.id, {
      status: 'failed',
      endedReason: 'provider_error',
      error: { code: 'provider_error', message: `No carrier for provider ${call.provider} in this process.` },
    });
    return;
  }
  const sched = schedulerFor(ctx, call);
  const at = clockOf(ctx, sched);
  const cancels: Array<() => void> = [];
  // The carrier's progress and connect work under way: stopping the dial (the app closing) waits
  // for it, so no write of this call is still running when the database closes.
  const underWay = new Set<Promise<unknown>>();
  const during = <T>(work: Promise<T>): Promise<T> => {
    underWay.add(work);
    work.then(
      () => underWay.delete(work),
      () => underWay.delete(work),
    );
    return work;
  };
  const entry = {
    stop: () => {
      for (const c of cancels) c();
      rt.live.delete(call.id);
      sched.dispose();
      return Promise.allSettled([...underWay]);
    },
  };
  rt.live.set(call.id, entry);
  try {
    await carrier.dial(
      {
        callId: call.id,
        workspaceId: call.workspace_id,
        livemode: call.livemode === 1,
        from: call.from_address,
        to: call.to_address,
        channelId: call.channel_id,
        sandbox: fromJson(call.sandbox, null),
      },
      {
        scheduler: sched,
        onCancel: (fn) => cancels.push(fn),
        progress: (change: DialProgress) =>
          during(
            (async () => {
              try {
                await advanceCall(ctx, call.id, {
                  status: change.status,
                  endedReason: change.endedReason,
                  providerCallId: change.providerCallId,
                  error: change.error,
                  at: at(),
                });
              } catch (err) {
                ctx.logger.warn(
                  { callId: call.id, status: change.status, err },
                  'recording call progress failed',
                );
                throw err;
              }
              if (isTerminal(change.status) && rt.live.get(call.id) === entry) void entry.stop();
            })(),
          ),
        connect: (transport, opts) =>
          during(
            (async () => {
              if (rt.live.get(call.id) === entry) rt.live.delete(call.id);
              await connectCall(ctx, call.id, transport, {
                answeredBy: opts?.answeredBy ?? 'human',
                scheduler: sched,
              });
            })(),
          ),
      },
    );
  } catch (err) {
    void entry.stop();
    ctx.logger.warn({ callId: call.id, err: (err as Error).message }, 'dial failed');
    await advanceCall(ctx, call.id, {
      status: 'failed',
      endedReason: 'provider_error',
      error: { code: 'provider_error', message: (err as Error).message.slice(0, 500) },
    });
  }
}

/** A web call nobody joined in time. */
export async function expireWebCall(ctx: AppContext, callId: string) {
  const call = await loadCall(ctx, callId);
  if (call?.status !== 'queued') return;
  await advanceCall(ctx, call.id, {
    status: 'failed',
    endedReason: 'failed_to_connect',
    error: {
      code: 'failed_to_connect',
      message: 'Nobody joined the web call over its media WebSocket in time.',
    },
  });
}

/**
 * The callee answered (or a web client joined): marks the call in progress (`call.answered`)
 * and runs its session until it ends. A call that ended meanwhile (hung up through the API) is
 * not connected: its transport is hung up at once.
 */
export async function connectCall(
  ctx: AppContext,
  callId: string,
  transport: CallTransport,
  opts: { answeredBy: 'human' | 'machine'; scheduler?: Scheduler },
): Promise<CallSession | null> {
  const call = await loadCall(ctx, callId);
  if (!call || isTerminal(call.status)) {
    await transport.hangup();
    return null;
  }
  const sched = opts.scheduler ?? schedulerFor(ctx, call);
  const at = clockOf(ctx, sched);
  const rt = voiceRuntime(ctx);
  const scope = scopeOf(call);

  const parties = await callParties(ctx, call);
  const { agentRow, stored, variables } = parties;

  let driver: CallDriver;
  let speech: ReturnType<typeof speechFor>;
  try {
    speech = callSpeech(ctx, scope.livemode, agentRow, call.transport === 'web');
    driver = await driverFor(ctx, call, parties);
  } catch (err) {
    const code = failureCode(err);
    await advanceCall(ctx, call.id, {
      status: 'failed',
      endedReason: code,
      error: { code, message: (err as Error).message },
      at: at(),
    });
    // After the record, as above: the hangup's callback must not decide why the call ended.
    await transport.hangup().catch(() => {});
    return null;
  }

  // A machine verdict can also be on the call already: written by the process that took the AMD
  // callback after this one read the call to open the leg, and before the leg could hear it.
  const machine = opts.answeredBy === 'machine' || call.answered_by === 'machine';
  const voicemailText = machine ? (driver.voicemail?.() ?? null) : null;
  if (machine && !voicemailText) {
    // Recorded before the hangup: the carrier's "completed" callback for the hangup must find the
    // call ended already (else it reads an unanswered call that completed: failed to connect).
    await advanceCall(ctx, call.id, {
      status: 'voicemail',
      endedReason: 'voicemail',
      answeredBy: 'machine',
      at: at(),
    });
    await transport.hangup().catch(() => {});
    return null;
  }
  const answered = await advanceCall(ctx, call.id, {
    status: 'in_progress',
    answeredBy: machine ? 'machine' : 'human',
    at: at(),
  });
  if (!answered) {
    await transport.hangup().catch(() => {});
    return null;
  }

  const recorder = callRecorder(ctx, answered, at, machine);
  // A machine with a message to leave hears it; anyone else may be a call screener first.
  const voicemail = machine && voicemailText ? voicemailText : null;
  const session = new CallSession({
    callId: call.id,
    transport,
    driver: voicemail ? voicemailDriver(voicemail) : driver,
    screener: voicemail
      ? undefined
      : callScreener(ctx, answered, { stored, agentName: agentRow?.name ?? null, variables }),
    stt: speech.stt,
    tts: speech.tts,
    scheduler: sched,
    settings: sessionSettingsOf(stored),
    recorder,
    onError: (err) =>
      ctx.logger.warn({ callId: call.id, err: (err as Error)?.message ?? String(err) }, 'call session error'),
  });
  rt.live.set(call.id, { stop: (reason) => session.stop(reason) });
  void session.done.then(() => {
    if (rt.live.get(call.id)) rt.live.delete(call.id);
  });
  session.start();
  // A web caller whose audio cannot be understood is told so at once, not left talking to no one.
  if (call.transport === 'web' && speech.stt.name === 'sandbox')
    transport.notify?.({ type: 'notice', code: 'audio_not_transcribed', message: noSttNotice });
  return session;
}

/**
 * Who and what a call is about: its agent (with the agent's stored voice settings), its
 * conversation, the workspace's default country and the variables the call speaks with (the
 * contact's, the conversation's, then the call's own).
 */
async function callParties(ctx: AppContext, call: CallRow) {
  const scope = scopeOf(call);
  const agentRow = call.agent_id ? await findAgentRow(ctx.db, scope, call.agent_id) : undefined;
  const conversation = call.conversation_id
    ? await findConversationRow(ctx.db, scope, call.conversation_id)
    : undefined;
  const contact = call.contact_id ? await findContactRow(ctx.db, scope, call.contact_id) : undefined;
  const { defaultCountry } = await workspaceTerms(ctx.db, call.workspace_id);
  const variables = variablesOf(contact, {
    ...fromJson<Record<string, unknown>>(conversation?.dynamic_variables ?? null, {}),
    ...fromJson<Record<string, unknown>>(call.dynamic_variables, {}),
  });
  return {
    agentRow,
    stored: agentVoice(agentRow),
    conversation,
    defaultCountry,
    variables,
  };
}

/** What speaks for the call: its voice flow, else its agent (throws when it has neither). */
async function driverFor(
  ctx: AppContext,
  call: CallRow,
  parties: Awaited<ReturnType<typeof callParties>>,
): Promise<CallDriver> {
  const { agentRow, stored, conversation, variables, defaultCountry } = parties;
  if (call.voice_flow_id) {
    const flowDriver = ctx.ports.voiceFlowDriver;
    if (!flowDriver) throw new Error('Voice flows are not available on this server.');
    return flowDriver(ctx, call, { variables, defaultCountry });
  }
  if (!agentRow || !conversation) throw new Error('The call has no agent or voice flow to speak for it.');
  const voicemail = stored.voicemail;
  return agentDriver({
    ctx,
    agent: agentConfig(ctx, agentRow),
    conversation,
    variables,
    defaultCountry,
    voicemailMessage: voicemail?.action === 'leave_message' ? (voicemail.message ?? null) : null,
    transferTo: stored.transfer?.to ?? null,
    warm:
      stored.transfer?.mode === 'warm'
        ? { summary: stored.transfer.summary ?? true, caller: callerName(call, variables) }
        : undefined,
  });
}

/** Who is calling, as a warm transfer announces them: their name, else their number. */
function callerName(call: CallRow, variables: Record<string, string>): string | null {
  return variables.name || (call.direction === 'outbound' ? call.to_address : call.from_address) || null;
}

/** Why a call could not be connected: its speech-to-text or text-to-speech, or anything else. */
function failureCode(err: unknown): 'stt_error' | 'tts_error' | 'provider_error' {
  if (err instanceof SpeechUnavailable && err.stage === 'stt') return 'stt_error';
  if (err instanceof SpeechUnavailable && err.stage === 'tts') return 'tts_error';
  return 'provider_error';
}

/** Leaves the voicemail message after the greeting, then hangs up. */
function voicemailDriver(message: string): CallDriver {
  return {
    async *start() {
      yield { type: 'say', text: message };
      yield { type: 'end_call' };
    },
    async *reply() {},
    async *reprompt() {},
  };
}

/**
 * A spoken turn as a text message of the call's conversation (which the call has): the
 * customer's in, the agent's out.
 */
function turnMessage(call: CallRow, text: string, customer: boolean, iso: string): MessageRow {
  const caller = call.from_address ?? 'web';
  const callee = call.to_address ?? 'web';
  const sentAt = customer ? null : iso;
  return {
    id: newId('msg'),
    workspace_id: call.workspace_id,
    livemode: call.livemode,
    conversation_id: call.conversation_id!,
    channel_id: call.channel_id!,
    direction: customer ? 'inbound' : 'outbound',
    sender_type: customer ? 'customer' : 'ai',
    sender_id: customer ? call.contact_id : call.agent_id,
    type: 'text',
    text,
    template: null,
    media: null,
    interactive: null,
    to_address: customer ? caller : callee,
    from_address: customer ? callee : caller,
    status: customer ? 'received' : 'delivered',
    error_code: null,
    error_message: null,
    provider_message_id: null,
    reply_to_provider_id: null,
    created_at: iso,
    updated_at: iso,
    queued_at: sentAt,
    sent_at: sentAt,
    delivered_at: sentAt,
    read_at: null,
    failed_at: null,
    send_started_at: null,
  };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Writes what a session produces: each turn as a message of the call's conversation (with its
 * event), the transcript and latency on the call as they grow, and the end of the call.
 * Writes are chained so turns are stored in the order they were spoken.
 */
function callRecorder(ctx: AppContext, call: CallRow, at: () => Date, machine: boolean): SessionRecorder {
  const rt = voiceRuntime(ctx);
  const writeLine = lineWriter(ctx);
  const transcript: TranscriptEntry[] = [];
  const timings: TurnTiming[] = [];
  const counts = emptyTurnCounts();
  let chain: Promise<unknown> = Promise.resolve();
  const serial = (fn: () => Promise<unknown>) => {
    chain = chain
      .then(fn)
      .catch((err) => ctx.logger.warn({ callId: call.id, err: err?.message }, 'call write failed'));
    return chain as Promise<void>;
  };
  const latency = (): CallLatency => {
    const v2v = timings.map((t) => t.voice_to_voice_ms).sort((a, b) => a - b);
    const share = timings.map((t) => t.turn_ms).sort((a, b) => a - b);
    return {
      turns: timings.length,
      p50_ms: percentile(v2v, 50),
      p95_ms: percentile(v2v, 95),
      parley_p50_ms: percentile(share, 50),
      per_turn: timings,
      ...counts,
    };
  };

  return {
    turn(turn) {
      transcript.push({ ...turn });
      const entry = { ...turn };
      return serial(async () => {
        if (!call.conversation_id || !call.channel_id) return;
        const now = at();
        const iso = now.toISOString();
        const customer = entry.role === 'customer';
        const row = turnMessage(call, entry.text, customer, iso);
        // In a transaction shared with other calls' lines (calls.line-writer.ts).
        await writeLine(async (tx) => {
          await insertMessageRow(tx.db, row);
          await noteLastMessage(tx.db, call.conversation_id!, {
            text: entry.text,
            at: iso,
            sender: customer ? 'customer' : 'ai',
          });
          await tx.emit({
            workspaceId: call.workspace_id,
            livemode: call.livemode === 1,
            type: customer ? 'message.received' : 'message.sent',
            actor: customer ? { type: 'customer', id: call.contact_id } : { type: 'ai', id: call.agent_id },
            data: {
              ...presentMessage(row),
              call_id: call.id,
              start_ms: entry.start_ms,
              end_ms: entry.end_ms,
              interrupted: entry.interrupted,
            },
          });
          await saveCallRecord(tx.db, call.id, { transcript, latency: latency() }, now);
        });
      });
    },
    turnEvent(e) {
      counts[e]++;
      rt.turnEvents.inc({ event: e });
    },
    latency(t) {
      timings.push(t);
      for (const [part, ms] of Object.entries({
        eou: t.eou_ms,
        agent: t.agent_ms,
        tts: t.tts_ms,
        turn: t.turn_ms,
        voice_to_voice: t.voice_to_voice_ms,
      }))
        rt.turnLatency.observe({ part }, ms / 1000);
    },
    async transfer(to, human, reason) {
      // A handoff to a human was already recorded by the agent's tools (conversation.escalated).
      void human;
      void reason;
      // Written before the carrier is asked: its "completed" callback for the transferred call can
      // come (to any process) before this session records the end, and must say `transferred`.
      if (to)
        await ctx.db
          .updateTable('calls')
          .set({ transfer_started_at: at().toISOString() })
          .where('id', '=', call.id)
          .execute();
    },
    async transferFailed() {
      await ctx.db
        .updateTable('calls')
        .set({ transfer_started_at: null })
        .where('id', '=', call.id)
        .execute();
    },
    async ended(end, _turns) {
      await serial(async () => {
        const now = at();
        await saveCallRecord(ctx.db, call.id, { transcript, latency: latency() }, now);
        // On an answering machine, the agent ending the call is the voicemail left.
        const leftVoicemail = machine && end.reason === 'agent_ended_call';
        const status = leftVoicemail ? 'voicemail' : end.status;
        const reason: EndedReason = leftVoicemail ? 'voicemail' : end.reason;
        await advanceCall(ctx, call.id, {
          status,
          endedReason: reason,
          at: now,
          ...('error' in end && end.error ? { error: { code: end.reason, message: end.error } } : {}),
        });
      });
    },
  };
}
