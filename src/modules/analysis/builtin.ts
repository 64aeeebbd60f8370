import type { AnalysisProperty, AnalysisSchema, AnalysisSettings } from '../agents/index.ts';
import { confirms, declines, parseWhen } from '../ai/index.ts';
import cues from './cues.json' with { type: 'json' };

/**
 * The built-in analysis engine: no LLM, no network. It reads a transcript and extracts only what
 * it can point at in the customer's own words (a name said as "my name is", a phone number, an
 * email, a date, an enum value named, a yes or no answer to the agent's question about the field, a
 * statement of the thing a boolean names ("I would like a callback tomorrow" is `wants_callback`
 * true, "no need to call me back" false), an enum told by what the customer describes ("my tooth
 * is paining" is a high `urgency`; the words are data, cues.json); anything else is null. It never invents a value, and what it returns validates against the schema.
 */
export interface Line {
  role: 'customer' | 'agent' | 'person';
  text: string;
  /** When it was said (ISO); relative dates ("tomorrow") are read from it. */
  at: string;
}

export interface AnalysisInput {
  lines: Line[];
  settings: AnalysisSettings;
  timezone: string;
}

export interface AnalysisResult {
  summary: string | null;
  data: Record<string, unknown> | null;
  success: boolean | null;
  sentiment: 'positive' | 'neutral' | 'negative' | null;
}

const emailRe = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
const phoneRe = /(?:\+|\b)\d[\d\s().-]{6,18}\d\b/;
const isoDateRe = /\b(\d{4})-(\d{2})-(\d{2})\b/;
const nameRe =
  /\b(?:my name is|my name's|i am|i'm|this is|call me|mera naam|naam)\s+([A-Z][a-zA-Z'-]{1,30}(?:\s+[A-Z][a-zA-Z'-]{1,30})?)/;

const words = (name: string, p: AnalysisProperty) =>
  `${name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ')} ${p.description ?? ''}`
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length >= 3 && !['the', 'was', 'did', 'does', 'has', 'have', 'and', 'for'].includes(w));

const customerLines = (lines: Line[]) => lines.filter((l) => l.role === 'customer');

/** The customer's reply to the last agent line that asked about one of `keys`, or null. */
function answerTo(lines: Line[], keys: string[]): Line | null {
  let found: Line | null = null;
  lines.forEach((l, i) => {
    if (l.role === 'customer' || !keys.some((k) => l.text.toLowerCase().includes(k))) return;
    const reply = lines.slice(i + 1).find((n) => n.role === 'customer');
    if (reply) found = reply;
  });
  return found;
}

function firstMatch(lines: Line[], re: RegExp, group = 0): string | null {
  for (const l of customerLines(lines)) {
    const m = re.exec(l.text);
    if (m) return (m[group] ?? '').trim() || null;
  }
  return null;
}

function phoneOf(lines: Line[]): string | null {
  const raw = firstMatch(lines, phoneRe);
  if (!raw) return null;
  const digits = raw.replace(/[^\d]/g, '');
  if (digits.length < 7 || digits.length > 15 || isoDateRe.test(raw)) return null;
  return raw.trim().startsWith('+') ? `+${digits}` : digits;
}

function dateOf(lines: Line[], timezone: string): string | null {
  for (const l of customerLines(lines)) {
    const iso = isoDateRe.exec(l.text);
    if (iso) return iso[0];
    const when = parseWhen(l.text, { now: new Date(l.at), timezone });
    if (when?.dateGiven) return when.date;
  }
  return null;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The one enum value named in the customer's words (or, failing that, anywhere); null if none or several. */
/** The enum value named in the customer's words, else the one their description tells (cues.json's concepts). */
function enumOf(
  lines: Line[],
  values: Array<string | number>,
  fieldWords: string[] = [],
): string | number | null {
  const named = namedEnum(lines, values);
  if (named !== null) return named;
  const described = conceptValue(lines, fieldWords);
  const valueNames = (conceptOf(fieldWords)?.value_names ?? {}) as Record<string, string[]>;
  const names = described ? valueNames[described] : undefined;
  return values.find((v) => names?.includes(String(v).toLowerCase())) ?? null;
}

function namedEnum(lines: Line[], values: Array<string | number>): string | number | null {
  for (const pool of [customerLines(lines), lines]) {
    const text = pool.map((l) => l.text.toLowerCase()).join('\n');
    const named = values.filter((v) => {
      const spoken = String(v).toLowerCase().replace(/_/g, ' ');
      return new RegExp(`(^|[^a-z0-9])${escapeRe(spoken)}($|[^a-z0-9])`).test(text);
    });
    if (named.length === 1) return named[0] as string | number;
    if (named.length > 1) return null;
  }
  return null;
}

function booleanOf(lines: Line[], keys: string[]): boolean | null {
  const reply = answerTo(lines, keys);
  if (reply) {
    if (declines(reply.text)) return false;
    if (confirms(reply.text)) return true;
  }
  // A boolean of a concept ("is_urgent"): true when the customer describes it.
  if (conceptOf(keys)) {
    const v = conceptValue(lines, keys);
    return v === 'high' ? true : v === 'low' ? false : null;
  }
  return statedOf(lines, keys);
}

type Concept = (typeof cues.concepts)[number];
const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase());
const phraseRe = (phrase: string) => new RegExp(`(^|[^a-z'])${escapeRe(phrase)}($|[^a-z'])`, 'i');

/** The concept (cues.json) a field is about, by its name and description. */
function conceptOf(fieldWords: string[]): Concept | undefined {
  const words = lower(fieldWords);
  return cues.concepts.find((c) => c.fields.some((f) => words.includes(f)));
}

/** The value ("high", "low") the customer's own words describe for the field's concept; null if none or both. */
function conceptValue(lines: Line[], fieldWords: string[]): string | null {
  const concept = conceptOf(fieldWords);
  if (!concept) return null;
  const said = customerLines(lines).map((l) => l.text);
  const found = Object.entries(concept.values)
    .filter(([, words]) => said.some((t) => words.some((w) => phraseRe(w).test(t))))
    .map(([v]) => v);
  return found.length === 1 ? found[0] : found.includes('high') ? 'high' : null;
}

const questionStartRe = /^\s*(do|does|did|is|are|was|what|how|which|kya)\b/i;

/**
 * A boolean from a statement: the customer says the thing the field names ("callback" with its
 * synonyms), in a line that is not a question about it; false when a negation comes just before.
 */
function statedOf(lines: Line[], keys: string[]): boolean | null {
  const telling = lower(keys).filter((k) => !cues.field_stop_words.includes(k));
  if (telling.length === 0) return null;
  const synonyms = cues.synonyms as Record<string, string[]>;
  const phrases = telling.flatMap((k) => synonyms[k] ?? [k]);
  let value: boolean | null = null;
  for (const l of customerLines(lines)) {
    if (questionStartRe.test(l.text)) continue;
    const text = l.text.toLowerCase();
    for (const p of phrases) {
      const m = phraseRe(p).exec(text);
      if (!m) continue;
      const before = text.slice(Math.max(0, m.index - 25), m.index + 1);
      value = !cues.negations.some((n) => phraseRe(n).test(before));
    }
  }
  return value;
}

function numberOf(lines: Line[], keys: string[], integer: boolean): number | null {
  const reply = answerTo(lines, keys);
  const nums = reply?.text.match(/-?\d+(?:[.,]\d+)?/g) ?? [];
  if (nums.length !== 1) return null;
  const n = Number(nums[0]!.replace(',', '.'));
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return null;
  return n;
}

function stringOf(name: string, p: AnalysisProperty, input: AnalysisInput): string | null {
  const key = name.toLowerCase();
  if (/e-?mail/.test(key)) return firstMatch(input.lines, emailRe);
  if (/phone|mobile|tel|whatsapp|contact_number|number/.test(key)) return phoneOf(input.lines);
  if (/date|day|when/.test(key)) return dateOf(input.lines, input.timezone);
  if (/name/.test(key)) return firstMatch(input.lines, nameRe, 1);
  // Another string: the customer's short answer to the agent's question about it.
  const reply = answerTo(input.lines, words(name, p));
  const text = reply?.text.trim() ?? '';
  return text && text.length <= 80 && !confirms(text) && !declines(text) ? text : null;
}

export function extractField(name: string, p: AnalysisProperty, input: AnalysisInput): unknown {
  if (p.enum) return enumOf(input.lines, p.enum, words(name, p));
  switch (p.type) {
    case 'boolean':
      return booleanOf(input.lines, words(name, p));
    case 'number':
    case 'integer':
      return numberOf(input.lines, words(name, p), p.type === 'integer');
    default:
      return stringOf(name, p, input);
  }
}

/** Whether a value fits one property (null always does: a field not found is null). */
export function fits(p: AnalysisProperty, v: unknown): boolean {
  if (v === null) return true;
  if (p.enum) return p.enum.includes(v as string | number);
  switch (p.type) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    default:
      return typeof v === 'string';
  }
}

/** Every property of the schema, null where missing; problems listed for values that do not fit. */
export function conform(schema: AnalysisSchema, data: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, p] of Object.entries(schema.properties)) {
    const v = data[name] ?? null;
    if (fits(p, v)) out[name] = v;
    else {
      out[name] = null;
      problems.push(`${name}: ${JSON.stringify(v)} does not fit ${p.enum ? 'the enum' : p.type}`);
    }
  }
  return { data: out, problems };
}

const positive =
  /\b(thanks|thank you|great|perfect|awesome|excellent|love|happy|helpful|good|nice|wonderful|dhanyavaad|shukriya|badhiya|accha)\b/i;
const negative =
  /\b(bad|terrible|awful|angry|upset|worst|useless|disappointed|unhappy|complain|complaint|refund|not working|broken|horrible|rude|ridiculous|bakwas)\b/i;

export function sentimentOf(lines: Line[]): AnalysisResult['sentiment'] {
  const said = customerLines(lines);
  if (said.length === 0) return null;
  let score = 0;
  for (const l of said) score += (positive.test(l.text) ? 1 : 0) - (negative.test(l.text) ? 1 : 0);
  return score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral';
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1).trimEnd()}…` : s);

function summaryOf(lines: Line[], data: Record<string, unknown> | null): string | null {
  const first = customerLines(lines)[0];
  if (!first) return null;
  const parts = [`The customer wrote: "${clip(first.text.replace(/\s+/g, ' '), 140)}".`];
  const found = Object.entries(data ?? {}).filter(([, v]) => v !== null);
  if (found.length) parts.push(`Found: ${found.map(([k, v]) => `${k} ${String(v)}`).join(', ')}.`);
  if (lines.some((l) => l.role === 'person')) parts.push('A person of the team replied.');
  parts.push(`${lines.length} messages.`);
  return parts.join(' ');
}

/** Success criteria the built-in engine can check on its own; the others leave `success` null. */
const checkable: Array<[RegExp, RegExp]> = [
  [
    /\b(book|booked|booking|appointment|reservation|scheduled)\b/i,
    /\b(booked|confirmed|scheduled|reserved)\b/i,
  ],
];

function successOf(lines: Line[], criteria: string[]): boolean | null {
  if (criteria.length === 0) return null;
  const agentText = lines
    .filter((l) => l.role !== 'customer')
    .map((l) => l.text)
    .join('\n');
  for (const c of criteria) {
    const rule = checkable.find(([about]) => about.test(c));
    if (!rule?.[1].test(agentText)) return null;
  }
  return true;
}

export function builtinAnalysis(input: AnalysisInput): AnalysisResult {
  const schema = input.settings.structured;
  const data = schema
    ? conform(
        schema,
        Object.fromEntries(
          Object.entries(schema.properties).map(([name, p]) => [name, extractField(name, p, input)]),
        ),
      ).data
    : null;
  return {
    summary: input.settings.summary ? summaryOf(input.lines, data) : null,
    data,
    success: successOf(input.lines, input.settings.success_criteria),
    sentiment: sentimentOf(input.lines),
  };
}
