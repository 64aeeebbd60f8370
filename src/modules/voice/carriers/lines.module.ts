import type { AppContext } from '../../../platform/context.ts';
import { hasTwilioVoiceChannel } from '../../channels/index.ts';
import type { Module } from '../../module.ts';
import { voiceRuntime } from '../voice.runtime.ts';
import { LinesRuntime } from './lines.ts';
import { liveKitCarrier, liveKitMediaSession } from './livekit/livekit.carrier.ts';
import { liveKitRoutes } from './livekit/livekit.hooks.ts';
import { twilioCarrier } from './twilio/twilio.carrier.ts';
import { twilioMediaSocket, twilioVoiceRoutes } from './twilio/twilio.hooks.ts';

/** Phone lines: Twilio Programmable Voice with Media Streams, and LiveKit rooms with SIP. */
export const linesModule: Module = {
  name: 'lines',
  routes: [...twilioVoiceRoutes, ...liveKitRoutes],
  sockets: [twilioMediaSocket],
  setup(ctx) {
    const rt = voiceRuntime(ctx);
    rt.registerCarrier(twilioCarrier(ctx));
    rt.registerCarrier(liveKitCarrier(ctx));
    rt.mediaSessions.set('livekit', (call) => liveKitMediaSession(ctx, call));
    const lines = new LinesRuntime();
    // Set before the carriers need it (their routes and jobs run after every setup).
    ctx.modules.lines = lines;
    lines.listen(ctx);
    watchPublicUrl(ctx);
    return lines;
  },
  metrics(ctx) {
    return [ctx.modules.lines.frameLateness];
  },
  // The voice module (closed before this one, modules close in reverse) has ended the calls.
  close(ctx) {
    ctx.modules.lines.stop();
  },
};

const RECHECK_MS = 30_000;

/**
 * Twilio opens a call's media stream only on a `wss://` URL, made from PARLEY_PUBLIC_URL: with
 * an `http://` one every Twilio call would fail to stream. When a Twilio voice channel exists and
 * the public URL is not https, Parley says so at start (a warning log) and in `/readyz` (a
 * `warnings` entry; readiness itself is unchanged). Rechecked at most every 30 s (a channel
 * created later shows up).
 */
export function watchPublicUrl(ctx: AppContext) {
  const url = ctx.config.publicUrl;
  if (!url || /^https:\/\//i.test(url)) return;
  let warning: string | null = null;
  let checkedAt = 0;
  let logged = false;
  const check = async () => {
    checkedAt = Date.now();
    try {
      if (!(await hasTwilioVoiceChannel(ctx.db))) {
        warning = null;
        return;
      }
    } catch {
      return;
    }
    warning = `PARLEY_PUBLIC_URL (${url}) is not https: Twilio voice calls get a ws:// media URL, which Twilio refuses. Serve Parley over https and set PARLEY_PUBLIC_URL to its https:// address.`;
    if (!logged) ctx.logger.warn({ publicUrl: url }, warning);
    logged = true;
  };
  void check();
  ctx.readyReports.set('warnings', () => {
    if (Date.now() - checkedAt > RECHECK_MS) void check();
    return warning ? [warning] : undefined;
  });
}
