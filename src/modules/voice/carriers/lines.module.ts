import type { Module } from '../../module.ts';
import { voiceRuntime } from '../voice.runtime.ts';
import { LinesRuntime } from './lines.ts';
import { liveKitCarrier, liveKitMediaSession } from './livekit/livekit.carrier.ts';
import { liveKitRoutes } from './livekit/livekit.hooks.ts';
import { watchPublicUrl } from './public-url.check.ts';
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
