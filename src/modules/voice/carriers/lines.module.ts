import type { Module } from '../../module.ts';
import { voiceRuntime } from '../voice.runtime.ts';
import { linesRuntime } from './lines.ts';
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
    linesRuntime(ctx).listen(ctx);
  },
  startWorker(ctx) {
    return () => linesRuntime(ctx).stop();
  },
};
