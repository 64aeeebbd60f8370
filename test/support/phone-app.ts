import type { FakeLiveKit } from '../fakes/livekit.ts';
import type { FakeSpeech } from '../fakes/speech.ts';
import type { FakeTwilioVoice } from '../fakes/twilio-voice.ts';
import { type Storage, startTestApp, type TestApp } from './harness.ts';
import { freePort } from './server-process.ts';

/**
 * A test app that takes phone calls through fakes of the providers' own protocols: Twilio (REST,
 * signed callbacks, Media Streams), Deepgram recognition and ElevenLabs speech as the server's
 * default engines, LiveKit when given. It listens on a real port, its public URL, so the fakes'
 * callbacks and media sockets reach it. The fakes must be started first.
 */
export async function startPhoneApp(
  storage: Storage,
  fakes: { twilio: FakeTwilioVoice; speech: FakeSpeech; livekit?: FakeLiveKit },
): Promise<{ t: TestApp; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { twilio, speech, livekit } = fakes;
  const t = await startTestApp(storage, {
    env: {
      PARLEY_TWILIO_API_URL: twilio.url,
      PARLEY_PUBLIC_URL: base,
      ...(livekit ? { PARLEY_LIVEKIT_URL: livekit.url } : {}),
      // The server's default engines (an agent's own voice settings would name them the same way).
      PARLEY_VOICE_STT: 'deepgram',
      PARLEY_VOICE_TTS: 'elevenlabs',
      PARLEY_DEEPGRAM_URL: speech.url,
      PARLEY_DEEPGRAM_API_KEY: speech.deepgramKey,
      PARLEY_ELEVENLABS_URL: speech.url,
      PARLEY_ELEVENLABS_API_KEY: speech.elevenLabsKey,
    },
  });
  await t.parley.app.listen({ port, host: '127.0.0.1' });
  return { t, base };
}
