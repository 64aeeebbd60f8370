import { readFileSync } from 'node:fs';
import { builtinReply } from '../../src/modules/ai/builtin.ts';
import type { EngineResult, Turn } from '../../src/modules/ai/engine.ts';
import { createWorld, salonAgent } from './ai-world.ts';

interface EvalCase {
  message: string;
  history?: Turn[];
  unsupported_media?: boolean;
  setup?: { booked?: string[] };
  expect: {
    source?: string;
    action?: string;
    no_action?: string[];
    lead?: Record<string, string>;
    reply_includes?: string[];
    reply_excludes?: string[];
    answered?: boolean;
  };
}

export interface EvalReport {
  total: number;
  passed: number;
  score: number;
  failures: Array<{ message: string; problems: string[]; reply: string }>;
  p50Ms: number;
}

/** Scores the built-in engine on test/fixtures/ai-eval.json: a case passes when every expectation holds. */
export async function runEval(
  file = new URL('../fixtures/ai-eval.json', import.meta.url),
): Promise<EvalReport> {
  const fixture = JSON.parse(readFileSync(file, 'utf8')) as {
    now: string;
    documents: Record<string, { title: string; kind: 'text' | 'faq'; content: string }>;
    cases: EvalCase[];
  };
  const agent = salonAgent();
  const world = await createWorld(agent);
  const docIds: Record<string, string> = {};
  for (const [key, d] of Object.entries(fixture.documents))
    docIds[key] = await world.addDocument(d.title, d.content, d.kind);
  const failures: EvalReport['failures'] = [];
  const times: number[] = [];
  for (const c of fixture.cases) {
    world.booked.clear();
    for (const b of c.setup?.booked ?? []) world.booked.add(b);
    const started = performance.now();
    const result = await builtinReply(
      {
        agent,
        messages: [c.message],
        history: c.history ?? [],
        variables: { name: 'Asha' },
        now: new Date(fixture.now),
        defaultCountry: 'IN',
        unsupportedMedia: c.unsupported_media,
      },
      world.tools,
    );
    times.push(performance.now() - started);
    const problems = check(c, result, docIds);
    if (problems.length) failures.push({ message: c.message, problems, reply: result.reply });
  }
  await world.close();
  times.sort((a, b) => a - b);
  const passed = fixture.cases.length - failures.length;
  return {
    total: fixture.cases.length,
    passed,
    score: passed / fixture.cases.length,
    failures,
    p50Ms: times[Math.floor(times.length / 2)],
  };
}

function check(c: EvalCase, r: EngineResult, docIds: Record<string, string>): string[] {
  const problems: string[] = [];
  const e = c.expect;
  const reply = r.reply.toLowerCase();
  if (e.source && r.sources[0]?.doc_id !== docIds[e.source])
    problems.push(`source: expected ${e.source}, got ${r.sources[0]?.title ?? 'none'}`);
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
  for (const s of e.reply_includes ?? [])
    if (!reply.includes(s.toLowerCase())) problems.push(`reply lacks "${s}"`);
  for (const s of e.reply_excludes ?? [])
    if (reply.includes(s.toLowerCase())) problems.push(`reply contains "${s}"`);
  if (e.answered !== undefined && r.answered !== e.answered)
    problems.push(`answered: expected ${e.answered}`);
  return problems;
}
