import { moveContactRows } from '../../platform/db/rows.ts';
import { contactMergeReaction } from '../contacts/index.ts';
import type { Module } from '../module.ts';
import { expireWebCall, startCall } from './calls.live.ts';
import { reapOrphanCalls, reapOrphansJob, scheduleReaper } from './calls.owners.ts';
import { callRoutes } from './calls.routes.ts';
import { activeCallsByProvider } from './calls.service.ts';
import { mediaSocket } from './calls.socket.ts';
import { sandboxCarrier } from './engine/sandbox-callee.ts';
import { availableSpeechEngines } from './speech/index.ts';
import { eraseCalls } from './voice.erase.ts';
import { startCallJob, webJoinTimeoutJob } from './voice.jobs.ts';
import { voiceMigrations } from './voice.migrations.ts';
import { purgeOldRecordings, purgeOldTranscripts } from './voice.retention.ts';
import { drainCalls, VoiceRuntime, voiceRuntime } from './voice.runtime.ts';

/** Voice calls: the calls API, the call engine, speech engines and the sandbox callee. */
export const voiceModule: Module = {
  name: 'voice',
  erase: eraseCalls,
  retain: { recordings: purgeOldRecordings, transcripts: purgeOldTranscripts },
  migrations: voiceMigrations,
  routes: callRoutes,
  sockets: [mediaSocket],
  setup(ctx) {
    // A contact merge: the other contact's calls become the kept one's.
    ctx.reactions.add(
      contactMergeReaction('voice.contact_merge', async (tx, e) => {
        const scope = { workspaceId: e.workspaceId, livemode: e.livemode };
        await moveContactRows(tx.db, 'calls', scope, e.fromId, e.intoId);
      }),
    );
    const rt = new VoiceRuntime();
    rt.registerCarrier(sandboxCarrier);
    rt.listen(ctx);
    rt.ownership.start(ctx, () => [...rt.live.keys()]);
    rt.media.start(() => rt.live.size);
    ctx.queue.register(reapOrphansJob, async () => {
      await reapOrphanCalls(ctx, rt.ownership, (id) => rt.live.has(id));
    });
    ctx.metrics.setActiveCallsSource(() => activeCallsByProvider(ctx.db));
    ctx.readyReports.set('speech', () => availableSpeechEngines(ctx));
    ctx.queue.register(startCallJob, (p) => startCall(ctx, p.callId));
    ctx.queue.register(webJoinTimeoutJob, (p) => expireWebCall(ctx, p.callId));
    return rt;
  },
  metrics(ctx) {
    const rt = voiceRuntime(ctx);
    return [
      rt.turnLatency,
      rt.turnEvents,
      rt.ownership.reaped,
      ...rt.processGauges(ctx),
      ...rt.media.metrics(),
    ];
  },
  // Calls run in whichever process holds their media (an api process too), so every role drains them.
  drain(ctx, deadline) {
    return drainCalls(voiceRuntime(ctx), deadline);
  },
  // Calls whose process died are ended by whichever worker runs (at start, then periodically).
  startWorker(ctx) {
    return scheduleReaper(ctx);
  },
  // Calls run in whichever process holds their media (an api process too), so every role ends them.
  close(ctx) {
    return voiceRuntime(ctx).stopAll();
  },
  // The media WebSockets keep the HTTP server's close waiting: their calls end as it starts.
  closeSockets(ctx) {
    return voiceRuntime(ctx).stopAll();
  },
};
