import type { AppContext } from '../../../platform/context.ts';
import { fromJson } from '../../../platform/json.ts';
import { agentVoiceSettings } from '../../agents/index.ts';
import { advanceCall } from '../calls.lifecycle.ts';
import { type CallTransport, ENGINE_SAMPLE_RATE, type TransportSink } from '../engine/types.ts';
import { speechFor } from '../speech/index.ts';
import { voiceRuntime } from '../voice.runtime.ts';
import type { EngineChoice } from '../voice.settings.ts';

/** A transport whose call the voicemail step can take over from the session. */
export interface TakeoverTransport extends CallTransport {
  /** From now on the session's hangup leaves the line up: the voicemail step ends the call. */
  takeOver(): void;
  /** Ends the call at the carrier (after the message). */
  endCall(): Promise<void>;
}

/**
 * An answering machine picked up an outbound call (Twilio's async AMD verdict). The agent's
 * `voice.voicemail` policy decides: `hangup` ends the call at once; `leave_message` stops the
 * conversation, speaks the message (after the beep: the verdict of `DetectMessageEnd` comes when
 * the greeting has ended) and hangs up once it has played. Either way the call ends `voicemail`.
 */
export async function answerMachine(
  ctx: AppContext,
  callId: string,
  transport: TakeoverTransport,
  greetingEnded: boolean,
) {
  const call = await ctx.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirst();
  if (call?.direction !== 'outbound') return;
  const voice = (call.agent_id ? await agentVoiceSettings(ctx.db, call.agent_id) : null) ?? {};
  const message = voice.voicemail?.action === 'leave_message' ? voice.voicemail.message?.trim() : undefined;
  transport.takeOver();
  const ended = await advanceCall(ctx, callId, {
    status: 'voicemail',
    endedReason: 'voicemail',
    answeredBy: 'machine',
  });
  // Stops the conversation (its own hangup is held back by the takeover) and waits for it to have
  // written what was said: its last save of the transcript must come before the message's line,
  // not after it (on a loaded machine it came after, and the line was lost).
  await voiceRuntime(ctx).live.get(callId)?.stop();
  if (!ended || !message) {
    await transport.endCall();
    return;
  }
  void greetingEnded;
  transport.clear();
  const open = (e: EngineChoice | undefined) =>
    e ? { ...e, api_key: e.api_key ? ctx.secrets.open(e.api_key) : null } : undefined;
  let audio: Int16Array[] = [];
  try {
    const { tts } = speechFor(ctx, call.livemode === 1, {
      stt: { provider: 'sandbox' },
      tts: open(voice.tts),
    });
    for await (const chunk of tts.synthesize(message, {
      sampleRate: ENGINE_SAMPLE_RATE,
      language: voice.tts?.language,
    }))
      audio.push(chunk);
  } catch (err) {
    ctx.logger.warn({ callId, err: (err as Error).message }, 'voicemail message could not be synthesised');
    audio = [];
  }
  const total = audio.reduce((n, a) => n + a.length, 0);
  const pcm = new Int16Array(total);
  let at = 0;
  for (const a of audio) {
    pcm.set(a, at);
    at += a.length;
  }
  const played = new Promise<void>((resolve) => {
    const done = () => resolve();
    const sink: TransportSink = {
      audio: () => {},
      speech: () => {},
      text: () => {},
      dtmf: () => {},
      played: (id) => id === 'voicemail' && done(),
      hungUp: done,
    };
    transport.attach(sink);
    setTimeout(done, Math.max(2000, (total / ENGINE_SAMPLE_RATE) * 1000 + 5000)).unref();
  });
  transport.play({
    id: 'voicemail',
    text: message,
    ...(total ? { audio: pcm } : {}),
    durationMs: Math.round((total / ENGINE_SAMPLE_RATE) * 1000) || message.split(/\s+/).length * 350,
  });
  await played;
  const saved = await ctx.db
    .selectFrom('calls')
    .select('transcript')
    .where('id', '=', callId)
    .executeTakeFirst();
  await ctx.db
    .updateTable('calls')
    .set({
      transcript: JSON.stringify([
        ...fromJson<unknown[]>(saved?.transcript ?? ended.transcript, []),
        { role: 'agent', text: message, start_ms: 0, end_ms: 0, interrupted: false },
      ]),
    })
    .where('id', '=', callId)
    .execute();
  await transport.endCall();
}
