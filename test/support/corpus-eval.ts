import { readdirSync, readFileSync } from 'node:fs';
import type { AgentConfig } from '../../src/modules/agents/agents.service.ts';
import { builtinReply } from '../../src/modules/ai/builtin.ts';
import type { EngineResult } from '../../src/modules/ai/engine.ts';
import { agentOf, type Engine, loadEvalSet } from './ai-eval.ts';
import { createWorld, type World } from './ai-world.ts';

/**
 * Scores the built-in agent on public intent corpora nobody here wrote (test/fixtures/corpora/,
 * made by scripts/corpora.ts; each file records its source, commit and licence). Each utterance
 * is sent alone, as a customer's first message, to the salon of the evaluation set (its services,
 * hours and knowledge; a table reservation, or cancelling one, to its restaurant), by a customer
 * who has one upcoming booking; the agent's outcome is read
 * from what it did, not from its words:
 *   - `book`: it started a booking (checked availability, proposed or booked, or asked for a day);
 *   - `cancel`: it cancelled or asked to confirm cancelling;
 *   - greeting, thanks, goodbye, affirm, deny, who, services: a polite answer, nothing done;
 *   - `none` (out of scope for a salon): an honest "I don't know", nothing done, no passage quoted.
 */
export const corporaDir = new URL('../fixtures/corpora/', import.meta.url);

export interface CorpusCase {
  text: string;
  intent: string;
  original: string;
}

export interface CorpusReport {
  corpus: string;
  source: Record<string, string>;
  total: number;
  passed: number;
  byIntent: Record<string, { total: number; passed: number }>;
  failures: Array<{ text: string; intent: string; original: string; outcome: string; reply: string }>;
  p50Ms: number;
}

export const corpusNames = () =>
  readdirSync(corporaDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();

/** Intents asked of the business they belong to (a table is booked at the restaurant); the rest at the salon. */
const businessOf: Record<string, string> = {
  restaurant_reservation: 'restaurant',
  cancel_reservation: 'restaurant',
};

interface Place {
  agent: AgentConfig;
  world: World;
  now: Date;
  upcoming: string;
}

const writes = new Set([
  'booking_created',
  'booking_cancelled',
  'booking_rescheduled',
  'handoff',
  'lead_captured',
]);

/** What the agent did with the message, in the corpus's terms. */
export function outcomeOf(r: EngineResult): string {
  const types = new Set(r.actions.map((a) => a.type));
  if (types.has('handoff')) return 'handoff';
  if (types.has('booking_cancelled') || r.state?.task === 'cancel') return 'cancel';
  if (types.has('booking_rescheduled') || types.has('reschedule_proposed') || r.state?.task === 'reschedule')
    return 'reschedule';
  if (types.has('booking_created') || types.has('booking_proposed') || types.has('availability_checked'))
    return 'book';
  if (r.state?.task === 'booking') return 'book';
  if (r.answered === false) return 'unknown';
  return r.sources.length > 0 ? 'knowledge' : 'answer';
}

const expected = (intent: string): string[] =>
  intent === 'book'
    ? ['book']
    : intent === 'cancel'
      ? ['cancel']
      : intent === 'none'
        ? ['unknown']
        : ['answer'];

export async function runCorpusEval(name: string, engine: Engine = builtinReply): Promise<CorpusReport> {
  const file = JSON.parse(readFileSync(new URL(`${name}.json`, corporaDir), 'utf8')) as {
    source: Record<string, string>;
    cases: CorpusCase[];
  };
  const set = loadEvalSet();
  const places = new Map<string, Place>();
  for (const business of new Set(['salon', ...Object.values(businessOf)])) {
    const found = set.find((b) => b.business === business);
    if (!found) throw new Error(`the evaluation set has no ${business}`);
    const agent = agentOf(found, {});
    const world = await createWorld(agent);
    for (const d of Object.values(found.documents)) await world.addDocument(d.title, d.content, d.kind);
    const now = new Date(found.now);
    const upcoming = new Date(now.getTime() + 3 * 86_400_000);
    upcoming.setUTCHours(6, 30, 0, 0);
    places.set(business, { agent, world, now, upcoming: upcoming.toISOString() });
  }
  const report: CorpusReport = {
    corpus: name,
    source: file.source,
    total: 0,
    passed: 0,
    byIntent: {},
    failures: [],
    p50Ms: 0,
  };
  const times: number[] = [];
  for (const c of file.cases) {
    const { agent, world, now, upcoming } = places.get(businessOf[c.original] ?? 'salon') as Place;
    world.booked.clear();
    world.booked.add(upcoming);
    const started = performance.now();
    const r = await engine(
      { agent, messages: [c.text], history: [], variables: {}, now, defaultCountry: 'IN', channel: 'chat' },
      world.tools,
    );
    times.push(performance.now() - started);
    const outcome = outcomeOf(r);
    const didWrite = r.actions.some(
      (a) => writes.has(a.type) && !(c.intent === 'cancel' && a.type === 'booking_cancelled'),
    );
    const ok = expected(c.intent).includes(outcome) && (c.intent === 'book' || !didWrite);
    report.byIntent[c.intent] ??= { total: 0, passed: 0 };
    const tally = report.byIntent[c.intent];
    tally.total++;
    report.total++;
    if (ok) {
      tally.passed++;
      report.passed++;
    } else
      report.failures.push({ text: c.text, intent: c.intent, original: c.original, outcome, reply: r.reply });
  }
  for (const p of places.values()) await p.world.close();
  times.sort((a, b) => a - b);
  report.p50Ms = times[Math.floor(times.length / 2)] ?? 0;
  return report;
}

const pct = (a: number, b: number) => `${a}/${b} (${((100 * a) / Math.max(1, b)).toFixed(1)}%)`;

export function formatCorpusReport(r: CorpusReport, failures: boolean): string {
  const lines = [
    `## ${r.corpus}: ${pct(r.passed, r.total)}, reply p50 ${r.p50Ms.toFixed(2)} ms`,
    '',
    `Source: ${r.source.corpus ?? ''} ${r.source.url ?? ''} @ ${r.source.commit ?? ''}, ${r.source.split ?? ''}; licence ${r.source.licence ?? ''}`,
    '',
    '| intent | score |',
    '|---|---|',
    ...Object.entries(r.byIntent)
      .sort()
      .map(([k, t]) => `| ${k} | ${pct(t.passed, t.total)} |`),
  ];
  if (failures)
    for (const f of r.failures)
      lines.push(`- [${f.intent} (${f.original}) -> ${f.outcome}] ${f.text}\n    ${f.reply.slice(0, 160)}`);
  return lines.join('\n');
}
