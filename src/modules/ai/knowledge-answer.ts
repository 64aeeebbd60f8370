import { contentTokens, stem } from '../../platform/text.ts';
import { type SearchHit, TITLE_SEPARATOR } from '../knowledge/index.ts';
import type { AgentTools, Source } from './engine.ts';
import { isInjection } from './intents.ts';
import { expandWord, impliedWords } from './lexicon.ts';

/*
 * Answers from the agent's knowledge: the passage that covers what was asked, quoted whole or cut
 * down to its most relevant sentences.
 */

/** Words that ask what something costs (English and Hinglish). */
export const costWords = [
  'price',
  'prices',
  'cost',
  'costs',
  'charge',
  'charges',
  'fee',
  'fees',
  'rate',
  'rates',
  'kitna',
  'kitne',
];

/** Words that say what kind of question it is, not what it is about. */
export const questionWords = new Set([
  ...costWords,
  'offer',
  'provide',
  'available',
  'much',
  'many',
  'long',
  'far',
  'often',
  'hota',
  'hoti',
  'lagta',
  'lagega',
  'milta',
  'milega',
  'karte',
  'karti',
  'dete',
  'deti',
  'happens',
  'possible',
  'allowed',
  'anything',
  'way',
  'which',
  'course',
  'someone',
  'still',
  'problem',
  'fix',
  'help',
  'need',
  'want',
  'come',
  'bring',
  'order',
  'eat',
]);

const expand = expandWord;

export interface KnowledgeAnswer {
  reply: string;
  sources: Source[];
  /** Share of the question's topical words the best passage holds, and which. */
  coverage: number;
  covered: string[];
}

/**
 * A burst or a long message may ask several things ("hello / parking? / my car is big"): each
 * sentence is tried on its own and every answerable one answered; when none is, the whole text.
 * In a long message the questions come first.
 */
export async function knowledgeAnswers(
  t: AgentTools,
  text: string,
  businessWords: string[],
): Promise<KnowledgeAnswer | null> {
  const clean = text
    .replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, ' ')
    .replace(/\+?\d[\d\s-]{7,}\d/g, ' ');
  const all = [
    ...new Set(
      clean
        .split(/\n+|(?<=[?!.])\s+/)
        .map((x) => x.trim())
        .filter((x) => contentTokens(x).length > 0),
    ),
  ];
  const segments = [
    ...all.filter((x) => x.endsWith('?')),
    ...all.filter((x) => !x.endsWith('?')).slice(-3),
  ].slice(0, 6);
  const replies: string[] = [];
  const sources: Source[] = [];
  let best: KnowledgeAnswer | null = null;
  if (segments.length > 1) {
    for (const seg of segments) {
      const a = await knowledgeAnswer(t, seg, businessWords);
      if (!a || sources.some((x) => x.chunk_id === a.sources[0].chunk_id)) continue;
      replies.push(a.reply);
      sources.push(...a.sources);
      best ??= a;
      if (replies.length === 3) break;
    }
  }
  if (best) return { ...best, reply: replies.join('\n\n'), sources };
  const whole = await knowledgeAnswer(t, all.length > 6 ? segments.join(' ') : clean, businessWords);
  if (whole) return whole;
  // "My daughter is coming from Patna, where will she stay?": the story first, the question last.
  const clauses = clean.split(/[,;:]\s+|\s+(?:but|so|and|lekin|par|toh|to)\s+/i).map((x) => x.trim());
  const last = clauses[clauses.length - 1];
  if (clauses.length > 1 && questionClauseRe.test(last) && contentTokens(last).length > 0)
    return knowledgeAnswer(t, last, businessWords);
  return null;
}

/** A clause that asks: a question mark, or a question word first. */
const questionClauseRe =
  /\?\s*$|^(what|which|where|when|how|who|is|are|do|does|can|could|will|would|kya|kahan|kab|kaise|kitna|kitne|kitni)\b/i;

/**
 * Words that say who or when, not what: a customer mentions them ("my daughter", "another day",
 * "the treatment") but a passage need not hold them to answer. They are still searched, and a
 * passage that holds them ranks higher; only the share of what was asked ignores them.
 */
const contextWords = new Set([
  // who it is for
  'son',
  'daughter',
  'wife',
  'husband',
  'mom',
  'mum',
  'mother',
  'father',
  'dad',
  'mummy',
  'papa',
  'sister',
  'brother',
  'friend',
  'friends',
  'family',
  'parents',
  'parent',
  'grandmother',
  'grandfather',
  'grandma',
  'grandpa',
  'beta',
  'beti',
  'behen',
  'bhai',
  // generic nouns and verbs of a visit
  'another',
  'first',
  'back',
  'later',
  'needed',
  'wants',
  'wanted',
  'become',
  'birthday',
  'khana',
  'khaana',
  'anniversary',
  'other',
  'one',
  'day',
  'days',
  'week',
  'weeks',
  'month',
  'months',
  'year',
  'years',
  'thing',
  'things',
  'place',
  'bit',
  'lot',
  'little',
  'coming',
  'going',
  'make',
  'take',
  'keep',
  'use',
  'using',
  'attend',
  'join',
  'sit',
  'appointment',
  'appointments',
  'booking',
  'bookings',
  'book',
  'reservation',
  'session',
  'treatment',
  'treatments',
  'ilaaj',
  'ilaj',
  'procedure',
]);

/** Searches, then keeps the best passage only if it covers enough of what was asked. */
async function knowledgeAnswer(
  t: AgentTools,
  text: string,
  businessWords: string[],
): Promise<KnowledgeAnswer | null> {
  // The business's own name says nothing about which passage answers ("is parking near the salon").
  const words = contentTokens(text).filter((w) => !businessWords.includes(w));
  if (words.length === 0) return null;
  const implied = impliedWords(text);
  const impliedFlat = implied.flat();
  const query = [...new Set([...words, ...impliedFlat].flatMap(expand))].join(' ');
  const hits = await t.searchKnowledge(query, 8);
  if (hits.length === 0) return null;
  const topical = words.filter((w) => !questionWords.has(w));
  const telling = topical.filter((w) => !contextWords.has(w) && !/^\d+$/.test(w));
  const asked = telling.length ? telling : topical.length ? topical : words;
  const stemsOf = hits.map(chunkStems);
  const holds = (have: Set<string>, w: string) => expand(w).some((s) => have.has(stem(s)));
  const scored = hits
    .map((h, i) => {
      const have = stemsOf[i];
      const covered = asked.filter((w) => holds(have, w));
      // A phrase ("at once" → instalments) found in the passage stands for one word of the question.
      const bonus = implied.some((ws) => ws.every((w) => holds(have, w))) ? 1 : 0;
      return {
        hit: h,
        covered,
        bonus,
        coverage: Math.min(1, (covered.length + bonus) / asked.length),
        full: coverage(topical.length ? topical : words, h),
      };
    })
    .sort(
      (a, b) => b.coverage - a.coverage || b.bonus - a.bonus || b.full - a.full || b.hit.score - a.hit.score,
    );
  const best = scored[0];
  if (best.coverage < 0.5) return null;
  const reply = passageAnswer(best.hit, [...words, ...impliedFlat]);
  if (!reply) return null;
  return { reply, sources: [source(best.hit)], coverage: best.coverage, covered: best.covered };
}

const source = (h: SearchHit): Source => ({
  doc_id: h.doc_id,
  chunk_id: h.chunk_id,
  title: h.title,
  score: h.score,
});

function chunkStems(h: SearchHit): Set<string> {
  return new Set(contentTokens(`${h.title} ${h.text}`).map(stem));
}

function coverage(words: string[], h: SearchHit): number {
  const have = chunkStems(h);
  const covered = words.filter((w) => expand(w).some((s) => have.has(stem(s))));
  return covered.length / words.length;
}

/** Longest passage quoted whole; longer ones are cut down to their most relevant sentences. */
const WHOLE_PASSAGE_CHARS = 240;
const ANSWER_CHARS = 360;

/** Text in a document that speaks to the assistant rather than to customers: never quoted. */
const instructionRe =
  /\b(system (note|prompt|message)|note to (the )?(ai|assistant|bot|model)|(ai|assistant|bot|chatbot)s?\s*:|you are now|as an ai)\b|^\s*(system|assistant)\s*:/i;
const speaksToAssistant = (sentence: string) => isInjection(sentence) || instructionRe.test(sentence);

/**
 * The answer of a FAQ pair, or the passage's most relevant sentences: each sentence (or line,
 * list item) is scored by how many of the query's words it holds, and the best one or two are
 * quoted in the passage's order, so "Do you do keratin?" gets the keratin sentence of an
 * "About us" page, not the page. A heading that carries facts ("Thali: 450 rupees") is part of
 * the passage; a sentence that only makes sense with the one before it ("After that ...",
 * "Later cancellations ...") brings that one along, so a policy is never cut in half.
 * Sentences addressed to an assistant (an injected instruction) are left out.
 */
export function passageAnswer(h: { text: string; title?: string }, words: string[]): string {
  const faq = /^Q:[\s\S]*?\nA:\s*([\s\S]*)$/.exec(h.text);
  if (faq)
    return splitSentences(faq[1])
      .filter((x) => !speaksToAssistant(x))
      .join(' ');
  const levels = (h.title ?? '').split(TITLE_SEPARATOR);
  const heading = levels.length > 1 ? levels[levels.length - 1].trim() : '';
  const body = splitSentences(h.text).filter((x) => !speaksToAssistant(x));
  // A heading with a figure in it ("Root canal treatment: 6000 rupees per tooth") is a fact.
  const sentences = heading && /\d/.test(heading) ? [`${heading.replace(/[.:]$/, '')}.`, ...body] : body;
  if (sentences.length === 0) return '';
  const whole = sentences.join(' ');
  if (sentences.length <= 2 || whole.length <= WHOLE_PASSAGE_CHARS) return whole;
  const stems = new Set(words.flatMap(expand).map(stem));
  const scores = sentences.map(
    (x) =>
      new Set(
        contentTokens(x)
          .map(stem)
          .filter((w) => stems.has(w)),
      ).size,
  );
  const best = Math.max(...scores);
  if (best === 0) return fitting(sentences, [0, 1]);
  // The best sentences, then the one after the best when it goes on about the same thing.
  const order = scores
    .map((score, i) => ({ score, i }))
    .filter((x) => x.score === best)
    .map((x) => x.i);
  const first = order[0];
  const picked = order.length > 1 ? order.slice(0, 2) : scores[first + 1] > 0 ? [first, first + 1] : [first];
  // A sentence that leans on the one before it brings it along; so does a heading's figure.
  const withContext = picked.flatMap((i) => (i > 0 && continuesRe.test(sentences[i]) ? [i - 1, i] : [i]));
  if (heading && /\d/.test(heading) && !withContext.includes(0) && scores[0] > 0) withContext.unshift(0);
  return fitting(sentences, [...new Set(withContext)]);
}

/** Openings of a sentence that continues the one before it. */
const continuesRe =
  /^(after (that|this)|afterwards|later|then|otherwise|beyond (that|this)|between|however|but|also|this|that|these|those|it|they|such|in that case|if not|else|within|cancellations within|from then)\b/i;

function splitSentences(text: string): string[] {
  return text
    .split(/\n+/)
    .filter((line) => !/^\s{0,3}#{1,6}\s/.test(line))
    .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim())
    .flatMap((line) => line.split(/(?<=[.!?।])\s+(?=[\p{Lu}\p{N}"'(])/u))
    .map((x) => x.trim())
    .filter(Boolean);
}

/** The picked sentences in passage order, as many as fit in an answer (always the first). */
function fitting(sentences: string[], picked: number[]): string {
  const out: string[] = [];
  let length = 0;
  for (const i of [...picked].sort((a, b) => a - b)) {
    const x = sentences[i];
    if (!x || (out.length > 0 && length + x.length > ANSWER_CHARS)) continue;
    out.push(x);
    length += x.length + 1;
  }
  return out.join(' ');
}
