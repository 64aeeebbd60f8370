/**
 * `npm run bench -- llm-voice`: a call's answer latency with an LLM that streams at a local
 * model's pace (issue 60). In process, real time, on the real call session with the sandbox
 * caller, recogniser and voice; the model is a local OpenAI-compatible server that sends its first
 * token after 300 ms, then 40 tokens a second. Measured per turn: the caller's end of speech to the
 * agent's first audio (p50, p95), with the reply spoken as it streams (after) and spoken once the
 * whole answer is in (before), beside the model's own time to its first sentence.
 * `BENCH_LLM_TURNS` (default 100) turns per run.
 */
import type { AgentConfig } from '../src/modules/agents/index.ts';
import type { AgentTools } from '../src/modules/ai/engine.ts';
import { llmReply } from '../src/modules/ai/llm.ts';
import { SandboxCallee } from '../src/modules/voice/engine/sandbox-callee.ts';
import { RealScheduler } from '../src/modules/voice/engine/scheduler.ts';
import { CallSession, defaultSessionSettings } from '../src/modules/voice/engine/session.ts';
import type { CallDriver } from '../src/modules/voice/engine/types.ts';
import { sandboxStt, sandboxTts } from '../src/modules/voice/speech/sandbox.ts';
import { streamedReply } from '../src/modules/voice/streamed-reply.ts';
import { startFakeLlm } from '../test/support/fake-llm.ts';

const turns = Number(process.env.BENCH_LLM_TURNS ?? 100);
const pace = { firstTokenMs: 300, tokensPerSecond: 40 };
const reply =
  'We are open every day from ten in the morning, and we close at seven in the evening. On public holidays we open at noon.';
const content = JSON.stringify({ action: { type: 'answer' }, reply, lead: null });
// The model's own time to its first clause and to its last token, from the pacing (4 characters a token).
const tokensTo = (i: number) => Math.ceil(i / 4);
const firstClauseMs = pace.firstTokenMs + (tokensTo(content.indexOf(',') + 1) * 1000) / pace.tokensPerSecond;
const lastTokenMs = pace.firstTokenMs + (tokensTo(content.length) * 1000) / pace.tokensPerSecond;

// The AI SDK's warnings (response_format on a compatible server) are not what is measured.
(globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS = false;
const fake = await startFakeLlm();
const agent = {
  id: 'agt_bench',
  workspaceId: 'ws_bench',
  livemode: false,
  name: 'Glow Salon',
  status: 'active',
  phoneNumber: null,
  instructions: 'You are the receptionist of Glow Salon.',
  greeting: 'Hello, this is Glow Salon.',
  languages: ['en'],
  model: { provider: 'openai_compatible', name: 'llama3', baseUrl: fake.url, apiKey: null },
  tools: [],
  handoff: { keywords: [], max_unanswered: 2, holding_message_after_minutes: 5, holding_message: null },
  business: {
    timezone: 'Asia/Kolkata',
    hours: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
    address: null,
    services: [],
    holidays: [],
    buffer_minutes: 0,
  },
  leadFields: [],
} satisfies AgentConfig;
const none = async () => {
  throw new Error('not offered');
};
const tools: AgentTools = {
  searchKnowledge: async () => [],
  captureLead: none,
  checkAvailability: none,
  book: none,
  cancelBooking: none,
  findBooking: none,
  rescheduleBooking: none,
  handoff: async () => undefined,
  customTools: async () => [],
  runTool: none,
};

/** The agent driver's streaming path (agent.driver.ts), without the database around it. */
const driver = (streamed: boolean): CallDriver => ({
  async *start() {
    yield { type: 'say', text: 'Hello, this is Glow Salon.' };
  },
  async *reply(turn, signal) {
    fake.script.push({ content, ...pace });
    const speech = streamedReply();
    const running = llmReply(
      {
        agent,
        messages: [turn.text],
        history: [],
        variables: {},
        now: new Date(),
        defaultCountry: 'IN',
        channel: 'voice',
      },
      tools,
      { timeoutMs: 10_000, signal, ...(streamed ? { onReplyText: speech.onReplyText } : {}) },
    );
    yield* speech.speak(running, signal);
    const r = await running;
    const rest =
      speech.spoken() && r.reply.startsWith(speech.spoken())
        ? r.reply.slice(speech.spoken().length).trim()
        : r.reply;
    if (rest && !signal.aborted) yield { type: 'say', text: rest };
  },
  async *reprompt() {
    yield { type: 'say', text: 'Are you still there?' };
  },
});

async function run(streamed: boolean) {
  const sched = new RealScheduler();
  const callee = new SandboxCallee(sched, {
    lines: Array.from({ length: turns }, (_, i) => `What are your opening hours, question ${i + 1}?`),
    hangup_after_lines: true,
  });
  const v2v: number[] = [];
  const session = new CallSession({
    callId: 'call_bench',
    transport: callee,
    driver: driver(streamed),
    stt: sandboxStt,
    tts: sandboxTts,
    scheduler: sched,
    settings: defaultSessionSettings,
    recorder: {
      async turn() {},
      latency: (t: { voice_to_voice_ms: number }) => void v2v.push(t.voice_to_voice_ms),
      async ended() {},
    },
  });
  session.start();
  await session.done;
  sched.dispose();
  return v2v;
}

const pct = (values: number[], q: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!) : Number.NaN;
};
console.log(
  `fake model: first token ${pace.firstTokenMs} ms, first clause at ${Math.round(firstClauseMs)} ms, last token at ${Math.round(lastTokenMs)} ms`,
);
for (const streamed of [false, true]) {
  const v = await run(streamed);
  console.log(
    `${streamed ? 'after (spoken as it streams)' : 'before (spoken once complete)'}: end of speech → first audio, n=${v.length} p50=${pct(v, 0.5)} ms p95=${pct(v, 0.95)} ms`,
  );
}
await fake.close();
