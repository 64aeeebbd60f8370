import { contentTokens, stem, tokens } from '../../platform/text.ts';
import type { AgentConfig } from '../agents/index.ts';
import { asksDuration, asksPrice } from './intents.ts';
import { expandWord } from './lexicon.ts';
import { askingWordsOfLocales, inScript, isHindi, type LocaleCode, say } from './locale.ts';
import { type Channel, durationText, durationTextHi, priceText } from './speakable.ts';

/**
 * The business's service catalogue as the built-in agent reasons over it: which services a
 * message names (full names, any word form, everyday and Hinglish words for what a service's
 * name says), what each costs in the business's currency and how long it takes, the list of
 * everything offered, and what it does not offer.
 */
export type Service = AgentConfig['business']['services'][number];

/** How a reply is said: its language, where it goes, the country whose currency prices are in. */
export interface Say {
  /** The locale of the reply catalogue (locales/<code>/replies.json). */
  locale: LocaleCode;
  channel: Channel;
  country: string;
}

/** A reply of the catalogue in the locale of `s`. */
const sayIn = (s: Say, key: string, vars: Record<string, string> = {}) => say(s.locale, key, vars);

/**
 * Words customers use for what service names say ("nails clipped" is a Nail Trim, "nahlana" a
 * bath, "physio" physiotherapy). A group applies only when a service's name holds its first word.
 */
const synonymGroups: string[][] = [
  ['nail', 'nails', 'nakhun', 'nakhoon', 'nakhuno', 'claw', 'claws', 'paw'],
  [
    'trim',
    'clip',
    'clipped',
    'clipping',
    'cut',
    'cutting',
    'katna',
    'katwana',
    'katwane',
    'kaatna',
    'kaatne',
  ],
  [
    'bath',
    'bathe',
    'bathing',
    'wash',
    'washing',
    'shampoo',
    'nahlana',
    'nahlane',
    'nahana',
    'nahane',
    'nehlana',
  ],
  ['tick', 'ticks', 'keede', 'keeda', 'kide', 'kida'],
  ['flea', 'fleas', 'pissu'],
  ['shedding', 'deshedding', 'shed', 'undercoat'],
  ['puppy', 'puppies', 'pilla', 'pille', 'pup'],
  ['groom', 'grooming', 'groomed', 'haircut'],
  ['physiotherapy', 'physio', 'physiotherapist', 'therapy'],
  ['assessment', 'evaluation', 'checkup', 'examination', 'consultation'],
  ['needling', 'needle', 'needles'],
  ['home', 'ghar', 'house', 'doorstep'],
  ['surgery', 'operation', 'surgical', 'replacement'],
  ['rehab', 'rehabilitation', 'recovery'],
  ['injury', 'injuries', 'chot', 'sprain', 'tear'],
  ['sports', 'sport', 'sporting', 'running', 'gym'],
  ['cleaning', 'clean', 'saaf', 'safai'],
  ['whitening', 'white', 'safed'],
  ['extraction', 'nikalna', 'nikalwana', 'removal', 'remove', 'pull'],
];
const synonymsOf = new Map<string, string[]>();
for (const g of synonymGroups) for (const w of g) synonymsOf.set(w, g);

/** Phrases that name a service by what it is for ("first visit" is the assessment). */
const phraseSynonyms: Array<[RegExp, string]> = [
  [
    /\b(first|1st|initial|pehli|pehla)\s+(visit|time|baar|session|appointment|consultation)\b/gi,
    'assessment',
  ],
  [/\b(at|to)\s+(my\s+)?(home|house|place)\b|\bghar\s+(pe|par|aake|aakar|aa\w*)\b/gi, 'home'],
  [/\b(after|post)[\s-]+(my\s+)?(\w+\s+)?(surgery|operation)\b/gi, 'surgery'],
];

/** A message with the catalogue's phrases read as the service words they mean. */
function withPhrases(agent: AgentConfig, text: string): string {
  const names = agent.business.services.flatMap((s) => tokens(s.name));
  let t = text;
  for (const [re, word] of phraseSynonyms) if (names.includes(word)) t = t.replace(re, ` ${word} `);
  return t;
}
/**
 * Who a visit is to, in everyday words ("see a doctor", "looking for a dentist"): not a kind of
 * service by itself (a dentist is not a Teeth Cleaning), unless a service is named by it.
 */
const visitWords = new Set([
  'doctor',
  'doctors',
  'doc',
  'dentist',
  'dentists',
  'physician',
  'specialist',
  'therapist',
  'counsellor',
  'counselor',
]);
const catalogueTokens = (agent: AgentConfig, text: string) => {
  const words = tokens(withPhrases(agent, text));
  if (!words.some((w) => visitWords.has(w))) return words;
  const named = new Set(agent.business.services.flatMap((s) => tokens(s.name)));
  return words.filter((w) => !visitWords.has(w) || named.has(w));
};

/** A word in every form a service's name may hold it: lexicon expansions, catalogue synonyms. */
const expand = (w: string): string[] => [...expandWord(w), ...(synonymsOf.get(w) ?? [])];

/** Words of a service's name that alone do not tell one service from another ("Demo Class"). */
const genericServiceWords = new Set([
  'class',
  'classes',
  'session',
  'sessions',
  'trial',
  'service',
  'services',
  'appointment',
  'package',
  'treatment',
  'room',
  'the',
  'and',
  'for',
  'with',
]);

/**
 * The services a message names, best first: a full name ("hair spa"), else the services whose
 * telling words it uses, in any form or in the customer's words ("daant saaf" → Teeth
 * Cleaning, "table" → Table Reservation, "nakhun" → Nail Trim). A word shared by several
 * services ("teeth") names none of them alone; longer names win so "hair spa" is not read as
 * "haircut". A generic word ("session") names the one service whose name has it.
 */
export function servicesIn(agent: AgentConfig, text: string, generic = true): Service[] {
  const words = catalogueTokens(agent, text);
  const lower = ` ${words.join(' ')} `;
  const byLength = [...agent.business.services].sort((a, b) => b.name.length - a.name.length);
  const full = byLength.filter((s) => lower.includes(` ${tokens(s.name).join(' ')} `));
  // "facial and a haircut": each service named in full; "hair spa" hides "haircut" only by overlap.
  const whole = full.filter(
    (s) =>
      !full.some((o) => o !== s && ` ${tokens(o.name).join(' ')} `.includes(` ${tokens(s.name).join(' ')} `)),
  );
  if (whole.length) return whole;
  const stems = new Set(words.flatMap(expand).map(stem));
  const scored = byLength
    .map((s) => {
      const name = tokens(s.name).filter((w) => w.length > 2);
      const hits = name.filter((w) => stems.has(stem(w)) || expand(w).some((x) => stems.has(stem(x))));
      const telling = hits.filter((w) => !genericServiceWords.has(w));
      return { s, score: hits.length / Math.max(1, name.length), hits: hits.length, telling: telling.length };
    })
    .filter((x) => x.hits > 0);
  const best = scored.filter((x) => x.telling > 0).sort((a, b) => b.hits - a.hits || b.score - a.score);
  if (best.length === 0 && generic) {
    // "ek session ka kitna?": a generic word, said as such, names the one service that has it.
    const exact = scored.filter((x) => tokens(x.s.name).some((w) => words.includes(w)));
    return exact.length === 1 ? [exact[0].s] : [];
  }
  if (best.length === 0) return [];
  if (best.length > 1 && best[1].hits === best[0].hits && best[1].score === best[0].score) return [];
  return [best[0].s];
}

export const serviceIn = (agent: AgentConfig, text: string): Service | undefined =>
  servicesIn(agent, text)[0];

/** Services named in full in a text (the agent's own words use the exact names). */
export function servicesNamedIn(agent: AgentConfig, text: string): Service[] {
  const lower = ` ${tokens(text).join(' ')} `;
  return agent.business.services.filter((s) => lower.includes(` ${tokens(s.name).join(' ')} `));
}

/** The stems a service's name stands for: its words and every synonym of them. */
export function serviceStems(services: Service[]): Set<string> {
  return new Set(services.flatMap((s) => tokens(s.name)).flatMap((w) => [w, ...expand(w)].map(stem)));
}

/** True when the word is one of the service's words in any form ("nakhun" for Nail Trim). */
export function explainedBy(stems: Set<string>, word: string): boolean {
  return stems.has(stem(word)) || expand(word).some((x) => stems.has(stem(x)));
}

const article = (name: string) => (/^[aeiou]/i.test(name) ? 'An' : 'A');

/** "A Root Canal costs ₹6,000 and takes about 1 hour 30 minutes." (in Hinglish on a Hinglish question). */
export function serviceFact(s: Service, text: string, say: Say): string {
  const onlyDuration = asksDuration(text) && !asksPrice(text);
  const dur =
    isHindi(say.locale) && say.channel === 'chat'
      ? durationTextHi(s.duration_minutes)
      : durationText(s.duration_minutes, say.channel);
  const price = s.price === null ? '' : priceText(s.price, say.country, say.channel);
  const vars = { a: article(s.name), name: s.name, duration: inScript(say.locale, dur), price };
  if (onlyDuration) return sayIn(say, 'service_duration', vars);
  if (s.price === 0) return sayIn(say, 'service_free', vars);
  if (s.price === null) return sayIn(say, 'service_no_price', vars);
  return sayIn(say, 'service_price', vars);
}

/** Everything offered with price and length; on a call names and prices only, no brackets. */
export function servicesReply(agent: AgentConfig, say: Say): string {
  const services = agent.business.services;
  if (say.channel === 'voice') {
    const list = services
      .map((s) =>
        s.price === 0
          ? `${s.name}, free`
          : s.price !== null
            ? `${s.name} for ${priceText(s.price, say.country, 'voice')}`
            : s.name,
      )
      .join('; ');
    return sayIn(say, 'services_voice', { list });
  }
  const list = services
    .map(
      (s) =>
        `${s.name} (${durationText(s.duration_minutes, 'chat')}${s.price === 0 ? ', free' : s.price !== null ? `, ${priceText(s.price, say.country, 'chat')}` : ''})`,
    )
    .join(', ');
  return sayIn(say, 'services', { list });
}

/** "Do you do…", "can you…", "X milta hai kya", "do you have/sell X": asks whether the business offers something. */
const offerRe =
  /\b(do|does|can|could) (you|u|your \w+)\b|\bkya (aap|ap|tum)\b.*\b(karte|karti|karoge|karogi|dete|hota|hoti|milta|milti|milega|milegi)\b|\b(milta|milti|milega|milegi|hota|hoti|hai) (hai )?kya\b|\bkya (yahan|yaha|aapke yahan)\b|\b(is|are) (there|there any)\b|\bcan i (book|get|have)\b|\bbook me\b/i;
export const asksOffer = (text: string) => offerRe.test(text);

/** Words that say how the customer asks, not what they ask for. */
const askingWords = new Set(
  (
    'do does did can could would will you your yours have has having offer offers offering provide provides sell sells ' +
    'get give got book booking make arrange kya aap ap yahan yaha aapke karte karti karoge dete hota hoti milta milti ' +
    'milega milegi hai hain ho is are there any price prices cost costs much how rate charge charges fee fees kitna ' +
    'kitne kitni lagta lagega lagti also too please pls tell know want need like me my mine our we us one some ' +
    'session sessions appointment service services available availability option options done tomorrow today kal ' +
    'parso morning evening am pm baje at on for with the of yaar bhai ji sir madam still possible long time ' +
    'duration minutes hours take takes taking send list card menu hatane hatana karwane karwana karane lekar ' +
    'aana aane jana chahiye dena lena kaun kaunsi kaunsa ek aur hoti hota lagenge lagegi fix help problem way ' +
    'happens allowed which someone bring come order eat include included including der samay waqt many per ' +
    'there much karna karni karna karenge ' +
    // When, said in words: a day, a part of it, a month ("haircut saturday evening", "kal shaam").
    'monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun ' +
    'weekend week next this coming afternoon night noon tonight shaam sham subah dopahar raat savere aaj ' +
    // As people type them: "subha", "bajhe", "dupahar" are when, never part of a service's name.
    'subha subhe subeh savera sawere sawera mrng dopahr dupahar dupehar shyam evng bajhe bajey bajay bje bjy ' +
    'tarikh date january february march april may june july august september october november december ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec'
  )
    .split(' ')
    .concat(askingWordsOfLocales()),
);

/** What the customer asks about, in their words: the content words that are not how they ask. */
export function askedWords(text: string, businessWords: string[]): string[] {
  const business = new Set(businessWords);
  return contentTokens(text).filter(
    (w) =>
      !askingWords.has(w) &&
      !genericServiceWords.has(w) &&
      !business.has(w) &&
      !fillerWords.has(w) &&
      !/\d/.test(w),
  );
}

/** The words of the thing asked for, as written ("dog boarding"): a span of at most five words. */
function thingAsked(text: string, asked: string[]): string {
  const words = tokens(text);
  const at = words.map((w, i) => (asked.includes(w) ? i : -1)).filter((i) => i >= 0);
  if (at.length === 0) return '';
  const span = words.slice(at[0], at[at.length - 1] + 1);
  return (span.length <= 5 ? span : asked.slice(0, 3)).join(' ');
}

/**
 * An honest "no": the business does not offer what the customer names, so the agent says so,
 * lists what it does offer (names only, no other service's price) and offers the team.
 */
export function notOfferedReply(agent: AgentConfig, text: string, asked: string[], say: Say): string {
  const thing = thingAsked(text, asked) || sayIn(say, 'that_thing');
  const names = agent.business.services.map((s) => s.name).join(', ');
  return sayIn(say, names ? 'not_offered' : 'not_offered_unsure', { thing, names });
}

/** Words that add nothing to what is asked ("really", "exactly"). */
const fillerWords = new Set(
  'really actually just even exactly maybe perhaps kindly generally usually typically normally other else thing things something anything guys guy sure okay ok hello hi hey um uh yeah so bhi toh to wala wali wale'.split(
    ' ',
  ),
);

/**
 * The words of an "offer" or "price" question that name something this business has nothing
 * about: not a service (in any form), not in its knowledge, not in its name or address. Null when
 * everything asked is known, or when what is unknown is a small part of the question (a
 * story around a question the knowledge answers).
 */
export async function unknownAsked(
  agent: AgentConfig,
  search: (query: string, topK: number) => Promise<Array<{ text: string; title: string }>>,
  text: string,
  named: Service[],
): Promise<{ asked: string[]; unknown: string[] } | null> {
  const business = [agent.name, agent.greeting ?? '', agent.business.address ?? ''].flatMap((x) => tokens(x));
  const asked = askedWords(withPhrases(agent, text), business);
  if (asked.length === 0 || asked.length > 6) return null;
  const stems = serviceStems(named.length ? named : agent.business.services);
  const unexplained = asked.filter((w) => !explainedBy(stems, w));
  if (unexplained.length === 0) return null;
  const hits = agent.tools.includes('knowledge') ? await search(unexplained.join(' '), 5) : [];
  const known = new Set(hits.flatMap((h) => tokens(`${h.title} ${h.text}`)).map(stem));
  const unknown = unexplained.filter((w) => !explainedBy(known, w));
  if (unknown.length === 0 || unknown.length * 2 < asked.length) return null;
  // A known word that few passages hold ("JEE") names something the business has; one that
  // many hold ("dog" at a groomer's) says only what the business is about.
  for (const w of unexplained.filter((x) => !unknown.includes(x)))
    if ((await search(w, 3)).length < 3) return null;
  return { asked, unknown };
}

/**
 * A booking request naming something the business lacks, as a compound with a service word
 * ("dog walking session", "cupping therapy"): the word next to the service's word is unknown
 * to the business. "A haircut for my daughter" is not one: "daughter" does not touch "haircut".
 */
export async function unknownCompound(
  agent: AgentConfig,
  search: (query: string, topK: number) => Promise<Array<{ text: string; title: string }>>,
  text: string,
  named: Service[],
): Promise<{ asked: string[]; unknown: string[] } | null> {
  const found = await unknownAsked(agent, search, text, named);
  if (!found) return null;
  const stems = serviceStems(named);
  const words = tokens(withPhrases(agent, text));
  const touching = found.unknown.some((w) => {
    const i = words.indexOf(w);
    return [words[i - 1], words[i + 1]].some((n) => n !== undefined && explainedBy(stems, n));
  });
  return touching ? found : null;
}
