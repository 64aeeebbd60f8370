import { asksPrice, confirms, declines, isQuestion } from './intents.ts';

/**
 * Words of the booking dialogue that are not about a service by name: a visit asked for in
 * everyday words ("get my teeth looked at", "need to see the doctor", "can you fit me in?"), a
 * correction of the booking just made or read back ("no, rather at 10 am", "sorry, I meant April
 * 2nd"), a second booking beside it ("also one for my son"), a closing ("great, thanks"), and
 * symptoms or past events ("my root canal from last week is still paining"), which are not a
 * request to book.
 */

/** Who or what a visit is to, in everyday words. */
const VISIT_TO =
  '(?:doctor|doc|dr\\.?(?:\\s+\\w+)?|dentist|physician|physio|therapist|counsel+or|specialist|clinic|hospital|vet|salon|stylist|barber|apartment|apartments|appartment|flat|flats|property|unit|house|place)';
const visitRequestRe = new RegExp(
  [
    // "looking for a dentist", "I need a doctor"
    `\\b(?:looking for|need|want|searching for|find)\\s+(?:a|an|the|some)\\s+(?:good\\s+|\\w+\\s+)?(?:doctor|doc|dentist|physician|physio|therapist|counsel+or|specialist|vet|stylist|barber)\\b`,
    // "get my teeth looked at", "have my eyes checked", "get it seen to"
    '\\b(?:get|have)\\s+(?:my|our)\\s+(?:\\w+\\s+){0,2}(?:looked at|checked(?: out| up)?|seen(?: to)?|examined|done|fixed|treated)\\b',
    // "need to visit the doctor", "want to see a dentist", "view the apartment", "tour the flat"
    `\\b(?:visit(?:ing)?|see(?:ing)?|view(?:ing)?|tour(?:ing)?|check(?:ing)? out|look(?:ing)? at)\\s+(?:the|a|an|my|your|this|that|one of your|some)?\\s*(?:\\w+\\s+){0,3}${VISIT_TO}\\b`,
    // "a viewing", "a check-up", "an appointment", "a consultation"
    '\\b(?:want|need|like|book|schedule|make|get|set up|arrange|request)\\s+(?:to\\s+(?:book|schedule|make|get|have|set up|arrange)\\s+)?(?:an?|the|my)\\s+(?:\\w+\\s+)?(?:viewing|visit|check-?up|consultation|consult|appointment|appt|exam|examination)\\b',
    // "can you fit me in?", "squeeze me in", "come in", "come by"
    '\\b(?:fit|squeeze|get|slot)\\s+(?:me|us|him|her|my \\w+)\\s+in\\b',
    '\\b(?:come|pop|drop|stop)\\s+(?:in|by|over)\\b',
  ].join('|'),
  'i',
);
/** Asking in everyday words to come in, see someone or have something looked at. */
export const asksForVisit = (text: string) => visitRequestRe.test(text);

/** Words that change what was just booked or read back rather than add to it. */
const correctionRe =
  /^\s*(no+|nope|nah|not|sorry|oops|wait|actually|hmm+|hm+|um+|oh|rather|instead|make it|change|move|shift|switch|can we|could we|can you|could you|let'?s|lets|how about|what about|try|maybe|i meant|i mean|better)\b|\b(instead|rather|i meant|i mean|make it|how about|what about|let'?s|lets|(?:can|could) (?:we|i|you)|(?:we|i) can do|try|(?:would be|is|sounds) (?:fine|good|great|better|perfect|ok|okay)|works (?:for me|better)|change (it|that|the \w+)|move (it|that)|shift (it|that)|switch (it|that)|can we do|could we do|push it|bring it forward|actually)\b/i;
export const correctsBooking = (text: string) => correctionRe.test(text);

/**
 * Taking leave or small talk around the booking just made ("Great, see you tomorrow then!",
 * "thanks, I'll be there today", "have a nice day"): a day it names is the booking's, not a new
 * one. A change needs a change request ("can we do Friday instead?").
 */
const signOffRe =
  /\b(see (you|ya|u)|bye|good ?bye|take care|have a (nice|good|great|lovely) \w+|(i'?ll|i will|we'?ll|we will|i'?m|i am|we'?re|we are) (be there|see you|come|coming|make it|be on time)|looking forward|thanks?|thank (you|u)|thx|cheers|shukriya|dhanyavad|dhanyawad|milte hain|aa jaunga|aa jaungi|aa jayenge)\b/i;
export const signsOff = (text: string) => signOffRe.test(text);

/** "…but make it later", "a bit earlier": the slot read back shifted, with no time said. */
export function laterOrEarlier(text: string): 'later' | 'earlier' | null {
  if (/\b(later|after that|thoda baad|thodi der baad|thoda late)\b/i.test(text)) return 'later';
  if (/\b(earlier|sooner|before that|thoda pehle|jaldi)\b/i.test(text)) return 'earlier';
  return null;
}

/** A second booking beside the first ("also one for my son", "another one on Friday"). */
const anotherRe =
  /\b(another|second|one more|additional|extra)\b.{0,20}\b(booking|appointment|appt|slot|one|viewing|visit|session|haircut|table)\b|\b(also|too|as well)\b.{0,40}\b(book|booking|appointment|appt|slot)\b|\b(book|booking|appointment|appt|slot)\b.{0,40}\b(also|too|as well)\b|\bfor (my|our) (son|daughter|kid|kids|child|children|wife|husband|mother|mom|mum|father|dad|friend|partner|brother|sister|baby|family)\b/i;
export const wantsAnotherBooking = (text: string) => anotherRe.test(text);

/**
 * A closing: thanks, praise or an acknowledgement and nothing else ("thank you", "great,
 * thanks", "ok great", "perfect, thank you so much", "awesome 👍").
 */
const closingRe =
  /^\s*((ok(ay)?|k|thanks?|thank (you|u)|thankyou|thx|ty|tysm|great|cool|perfect|awesome|wonderful|excellent|lovely|brilliant|amazing|fantastic|nice|good|fine|sounds good|sounds great|that'?s (great|perfect|fine|good|all)|that works|alright|all right|got it|noted|understood|appreciate it|much appreciated|cheers|so much|a lot|very much|again|for (your|the) help|for helping|shukriya|dhanyavad|dhanyawad|theek hai|thik hai|acha|accha|badhiya|ji|bhai|sir|madam|mam)(?:[\s!.,🙏👍😊]|❤️)*)+$/iu;
export const isClosing = (text: string) => closingRe.test(text);

/**
 * Symptoms or something that happened ("still paining", "I've had a cough for two days", "my
 * filling fell out yesterday"): told, not a request to book.
 */
const symptomRe =
  /\b(pain|paining|painful|hurts?|hurting|ache|aches|aching|sore|swollen|swelling|bleed(s|ing)?|fever|cough(ing)?|sneez\w*|runny nose|dizz\w*|headache|toothache|infection|infected|rash|itch\w*|nause\w*|vomit\w*|sick|ill|injur\w*|sprain\w*|fell out|broke|broken|cracked|chipped|dard|bukhar|khansi)\b/i;
export const tellsSymptoms = (text: string) => symptomRe.test(text);

/**
 * The message without the names in it: words capitalised inside a sentence ("a viewing at the
 * North Hill Apartments", "with Dr Morgan") that are not words of a service's name. A place or a
 * person named beside a service is not a kind of service the business lacks.
 */
export function withoutNames(text: string, serviceWords: Set<string>): string {
  return text.replace(/(?<=[\p{L}\p{N},;:]\s+)\p{Lu}[\p{L}'’-]*/gu, (w) =>
    serviceWords.has(w.toLowerCase()) ? w : ' ',
  );
}

/**
 * "Yes" to the agent's question in any sentence of the message, not only its first ("It seems
 * like a popular place, huh? Yes, please do"), and no "no" before it.
 */
export function acceptsInAnySentence(text: string): boolean {
  if (declines(text)) return false;
  // "Can you schedule an appointment anyways please": a request to book what was read back.
  const bookIt =
    /\b(book|schedule|reserve)\b.{0,12}\b(it|that|this|an appointment|the (appointment|viewing|slot|visit))\b/i;
  const parts = text.split(/(?<=[.!?])\s+|,\s+/);
  const yes = parts.findLastIndex((s) => confirms(s) || bookIt.test(s));
  // "ok, that works, but make it later": an acceptance followed by a change is the change.
  if (
    yes >= 0 &&
    parts
      .slice(yes)
      .some((s) => /\b(but|though|however|except)\b/i.test(s) && (laterOrEarlier(s) || correctsBooking(s)))
  )
    return false;
  // "theek hai, kitne ka hai?": a question after the yes is asked first.
  return yes >= 0 && !parts.slice(yes + 1).some((s) => isQuestion(s) || asksPrice(s));
}

/** "Any time is fine", "the earliest you have", "next available", "as soon as possible". */
const anyTimeRe =
  /\b(earliest|first (available|free|open|slot|one|time)|next (available|free|open)|soonest|as soon as possible|asap|any ?time|anything (is fine|works|available)|whatever (is|you have)|either|any of (them|those))\b/i;
export const takesAnyTime = (text: string) => anyTimeRe.test(text);

/** A suggestion answering "which time?": "how about 5 pm?", "what about Monday?", "let's try 4", "maybe 6?". */
export const suggestsSlot = (text: string) =>
  /^\s*(?:(?:ok(?:ay)?|yes|sure|well|hmm+|then|so)[\s,.!]+)*(how about|what about|let'?s|lets|try|maybe|perhaps|(?:can|could) (?:we|i) (?:do|try|go for|make it))\b/i.test(
    text,
  ) || /\b(is good|works|is fine|would be (?:great|fine|good|best))\b.{0,10}\b(how|what) about\b/i.test(text);

/** Asks to see what the business sells ("show me your products", "send the catalogue", "products dikhao"). */
const catalogueRe =
  /\b(catalog(?:ue)?s?|product list|what (?:do|else do) you sell|(?:show|see|send|view|browse|share)\b[^.?!]{0,30}\b(?:products?|items|collection|range)|(?:products?|items)\b[^.?!]{0,20}\b(?:dikhao|dikhaiye|bhejo))\b/i;
export const asksForCatalogue = (text: string) => catalogueRe.test(text);
