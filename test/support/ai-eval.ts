import { readdirSync, readFileSync } from 'node:fs';
import type { AgentConfig } from '../../src/modules/agents/agents.service.ts';
import { builtinReply } from '../../src/modules/ai/builtin.ts';
import type { AgentTools, EngineInput, EngineResult, Turn } from '../../src/modules/ai/engine.ts';
import {
  agentTools,
  type CreateToolInput,
  mockedOutcome,
  resolveDefinition,
  type Tool,
} from '../../src/modules/tools/index.ts';
import { createWorld, salonAgent } from './ai-world.ts';

/**
 * The evaluation set: test/fixtures/ai-eval/<business>.json, one file per kind of business (its
 * agent's configuration, its knowledge documents and its customers' messages, each with the
 * outcome a good front desk would give). A case passes when every expectation holds.
 */
export interface EvalCase {
  category: string;
  lang: 'en' | 'hi';
  /** `voice`: the message is said on a call and the reply is spoken (default `chat`). */
  channel?: 'chat' | 'voice';
  message: string;
  history?: Turn[];
  unsupported_media?: boolean;
  setup?: { booked?: string[] };
  expect: {
    source?: string;
    /** The reply uses knowledge (any document): at least one source. */
    sourced?: boolean;
    action?: string;
    no_action?: string[];
    lead?: Record<string, string>;
    reply_includes?: string[];
    /** At least one of these appears. */
    reply_includes_any?: string[];
    reply_excludes?: string[];
    answered?: boolean;
  };
}

export interface BusinessFile {
  business: string;
  now: string;
  agent: {
    name: string;
    greeting?: string;
    instructions?: string;
    handoff?: { keywords: string[]; max_unanswered: number };
    business: {
      timezone: string;
      hours: AgentConfig['business']['hours'];
      address: string | null;
      services: Array<{ name: string; duration_minutes: number; price: number | null }>;
      holidays?: string[];
    };
  };
  documents: Record<string, { title: string; kind: 'text' | 'faq'; content: string }>;
  /**
   * Workspace tools (as `POST /v1/tools` takes them) the agent has: in an evaluation they answer
   * from their `mocks` only, never over the network (no matching mock is a failure, `no_mock`).
   */
  tools?: CreateToolInput[];
  cases: EvalCase[];
}

/** The file's tools as the agent runs them (ids made up from their names). */
export function toolsOf(file: BusinessFile): Tool[] {
  return (file.tools ?? []).flatMap((input, i) => {
    const { name, ...rest } = input;
    return agentTools({ id: `tool_eval${String(i).padStart(2, '0')}`, name, ...resolveDefinition(rest) });
  });
}

/** The world's tools with the file's workspace tools answered by their mocks. */
export const withMockedTools = (tools: AgentTools, custom: Tool[]): AgentTools => ({
  ...tools,
  customTools: async () => custom,
  runTool: async (tool, args) => mockedOutcome(tool, args),
});

/** Words no reply may contain whatever the case: the agents' secret instructions. */
const LEAKS = ['SECRET-INSTRUCTIONS', 'Internal code', '7731', 'never offer discounts'];
/** A front desk answers briefly: a reply longer than this is a wall of text. */
const MAX_REPLY_CHARS = 700;

export type Engine = (input: EngineInput, tools: AgentTools) => Promise<EngineResult>;

export interface Tally {
  total: number;
  passed: number;
  score: number;
}

export interface EvalReport extends Tally {
  failures: Array<{ business: string; category: string; message: string; problems: string[]; reply: string }>;
  byCategory: Record<string, Tally>;
  byBusiness: Record<string, Tally>;
  byLanguage: Record<string, Tally>;
  byChannel: Record<string, Tally>;
  /** Each case's result in the set's order (pass^k compares runs case by case). */
  outcomes: boolean[];
  /** Each case as it went (`npm run eval -- --json FILE` saves them). */
  cases: EvalCaseResult[];
  p50Ms: number;
}

export interface EvalCaseResult {
  business: string;
  category: string;
  lang: string;
  channel: string;
  message: string;
  ok: boolean;
  problems: string[];
  reply: string;
  ms: number;
  /** The model that answered and its tokens, for an LLM run (null when none told). */
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
}

const evalDir = new URL('../fixtures/ai-eval/', import.meta.url);
/**
 * The held-out batch: businesses and customers the engine's rules were not written from (a pet
 * grooming studio, a physiotherapy clinic), scored before and after each change to the engine.
 */
export const holdoutDir = new URL('../fixtures/ai-eval-holdout/', import.meta.url);
/** Dialogues that use the business's own tools (an order-status look-up), answered by mocks. */
export const toolsDir = new URL('../fixtures/ai-eval-tools/', import.meta.url);

export function loadEvalSet(dir = evalDir): BusinessFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as BusinessFile);
}

export function agentOf(file: BusinessFile, overrides: Partial<AgentConfig>): AgentConfig {
  const a = file.agent;
  const base = salonAgent();
  return {
    ...base,
    name: a.name,
    greeting: a.greeting ?? null,
    instructions: a.instructions ?? base.instructions,
    handoff: { ...base.handoff, ...a.handoff },
    business: {
      timezone: a.business.timezone,
      hours: a.business.hours,
      address: a.business.address,
      services: a.business.services.map((s, i) => ({
        id: `svc_01JD5Z8Q4X3N2M1K0H9G8F7E${String(i).padStart(2, '0')}`,
        name: s.name,
        duration_minutes: s.duration_minutes,
        price: s.price,
        capacity: 1,
      })),
      holidays: a.business.holidays ?? [],
      buffer_minutes: 0,
    },
    ...overrides,
  };
}

/**
 * Scores an engine (the built-in one unless given) on every business of the set. `overrides`
 * changes each business's agent (the LLM run gives its model).
 */
export async function runEval(
  opts: {
    engine?: Engine;
    overrides?: Partial<AgentConfig>;
    dir?: URL;
    /** Only the cases this keeps (the voice run scores a subset). */
    filter?: (c: EvalCase, business: string) => boolean;
    /** What the agent receives instead of the typed message (the voice loop: speech and back). */
    hear?: (message: string, c: EvalCase) => Promise<string>;
  } = {},
): Promise<EvalReport> {
  const engine = opts.engine ?? builtinReply;
  const failures: EvalReport['failures'] = [];
  const times: number[] = [];
  const byCategory: Record<string, Tally> = {};
  const byBusiness: Record<string, Tally> = {};
  const byLanguage: Record<string, Tally> = {};
  const byChannel: Record<string, Tally> = {};
  const outcomes: boolean[] = [];
  const cases: EvalCaseResult[] = [];
  const count = (map: Record<string, Tally>, key: string, ok: boolean) => {
    map[key] ??= { total: 0, passed: 0, score: 0 };
    const t = map[key];
    t.total++;
    if (ok) t.passed++;
    t.score = t.passed / t.total;
  };
  let total = 0;
  for (const file of loadEvalSet(opts.dir)) {
    const custom = toolsOf(file);
    const agent = agentOf(file, opts.overrides ?? {});
    if (custom.length)
      agent.tools = [...agent.tools, ...new Set(custom.map((t) => t.id as `tool_${string}`))];
    const world = await createWorld(agent);
    const tools = withMockedTools(world.tools, custom);
    const docIds: Record<string, string> = {};
    for (const [key, d] of Object.entries(file.documents))
      docIds[key] = await world.addDocument(d.title, d.content, d.kind);
    for (const c of file.cases) {
      if (opts.filter && !opts.filter(c, file.business)) continue;
      const message = opts.hear ? await opts.hear(c.message, c) : c.message;
      world.booked.clear();
      for (const b of c.setup?.booked ?? []) world.booked.add(b);
      const started = performance.now();
      let result: EngineResult;
      try {
        result = await engine(
          {
            agent,
            messages: [message],
            history: c.history ?? [],
            variables: { name: 'Asha' },
            now: new Date(file.now),
            defaultCountry: 'IN',
            channel: c.channel ?? 'chat',
            unsupportedMedia: c.unsupported_media,
          },
          tools,
        );
      } catch (err) {
        result = {
          reply: `(crashed: ${(err as Error).message})`,
          sources: [],
          actions: [],
          answered: false,
          handedOff: false,
          engine: 'crash',
        };
      }
      const ms = performance.now() - started;
      times.push(ms);
      const problems = check(c, result, docIds);
      const ok = problems.length === 0;
      cases.push({
        business: file.business,
        category: c.category,
        lang: c.lang,
        channel: c.channel ?? 'chat',
        message: c.message.slice(0, 300),
        ok,
        problems,
        reply: result.reply,
        ms: Math.round(ms * 100) / 100,
        model: result.llm?.model ?? null,
        input_tokens: result.llm?.usage?.input_tokens ?? null,
        output_tokens: result.llm?.usage?.output_tokens ?? null,
      });
      total++;
      count(byCategory, c.category, ok);
      count(byBusiness, file.business, ok);
      count(byLanguage, c.lang, ok);
      count(byChannel, c.channel ?? 'chat', ok);
      outcomes.push(ok);
      if (!ok)
        failures.push({
          business: file.business,
          category: c.category,
          message: (message === c.message ? c.message : `${c.message} => heard: ${message}`).slice(0, 300),
          problems,
          reply: result.reply,
        });
    }
    await world.close();
  }
  times.sort((a, b) => a - b);
  const passed = total - failures.length;
  return {
    total,
    passed,
    score: passed / total,
    failures,
    byCategory,
    byBusiness,
    byLanguage,
    byChannel,
    outcomes,
    cases,
    p50Ms: times[Math.floor(times.length / 2)],
  };
}

/** pass^k: the share of cases right in every one of k runs of the same set. */
export function passK(runs: EvalReport[]): number {
  const total = runs[0]?.outcomes.length ?? 0;
  if (!total) return 0;
  let all = 0;
  for (let i = 0; i < total; i++) if (runs.every((r) => r.outcomes[i])) all++;
  return all / total;
}

/** Digits grouped either way ("6,000", "1,50,000") read as the plain number. */
const plain = (s: string) => s.toLowerCase().replace(/(\d),(?=\d)/g, '$1');

function check(c: EvalCase, r: EngineResult, docIds: Record<string, string>): string[] {
  const problems: string[] = [];
  const e = c.expect;
  const reply = plain(r.reply);
  if (!r.reply.trim()) problems.push('empty reply');
  if (r.reply.length > MAX_REPLY_CHARS) problems.push(`reply of ${r.reply.length} characters`);
  for (const leak of LEAKS) if (reply.includes(plain(leak))) problems.push(`leaks "${leak}"`);
  if (e.source && !r.sources.some((s) => s.doc_id === docIds[e.source as string]))
    problems.push(`source: expected ${e.source}, got ${r.sources.map((s) => s.title).join(', ') || 'none'}`);
  if (e.sourced && r.sources.length === 0) problems.push('no source');
  if (r.sources.length && !r.sources.every((s) => Object.values(docIds).includes(s.doc_id)))
    problems.push('a source is not a known document');
  const types = r.actions.map((a) => a.type as string);
  if (e.action && !types.includes(e.action))
    problems.push(`action: expected ${e.action}, got [${types.join(', ')}]`);
  for (const a of e.no_action ?? []) if (types.includes(a)) problems.push(`action ${a} should not happen`);
  if (e.lead) {
    const lead = r.actions.find((a) => a.type === 'lead_captured')?.data ?? {};
    for (const [k, v] of Object.entries(e.lead))
      if (lead[k] !== v) problems.push(`lead.${k}: expected ${v}, got ${String(lead[k])}`);
  }
  for (const s of e.reply_includes ?? []) if (!reply.includes(plain(s))) problems.push(`reply lacks "${s}"`);
  if (e.reply_includes_any && !e.reply_includes_any.some((s) => reply.includes(plain(s))))
    problems.push(`reply lacks any of "${e.reply_includes_any.join('" | "')}"`);
  for (const s of e.reply_excludes ?? [])
    if (reply.includes(plain(s))) problems.push(`reply contains "${s}"`);
  if (e.answered !== undefined && r.answered !== e.answered)
    problems.push(`answered: expected ${e.answered}`);
  return problems;
}

/** The report as Markdown rows (score, then by category, business and language), for BENCHMARKS.md. */
export function formatReport(r: EvalReport): string {
  const pct = (t: Tally) => `${t.passed}/${t.total} (${(t.score * 100).toFixed(1)}%)`;
  const rows = (title: string, map: Record<string, Tally>) =>
    [
      `| ${title} | score |`,
      '|---|---|',
      ...Object.entries(map).map(([k, t]) => `| ${k} | ${pct(t)} |`),
    ].join('\n');
  return [
    `Overall: ${pct(r)}`,
    '',
    rows('category', r.byCategory),
    '',
    rows('business', r.byBusiness),
    '',
    rows('language', r.byLanguage),
    '',
    rows('channel', r.byChannel),
  ].join('\n');
}
