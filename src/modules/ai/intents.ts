import { type CountryCode, findPhoneNumbersInText } from 'libphonenumber-js/max';
import { detectLocale, isHindi, toLatin } from './locale.ts';
import { classify, sureIntent } from './nlu/index.ts';

/** Rules that read what a customer wants, in English and Hinglish. */

/**
 * Hinglish (or Hindi in Devanagari) by the locale data's marker words: two of them, or one in a
 * short message (one alone in a long message is often an English name or typo).
 */
export function isHinglish(text: string): boolean {
  return isHindi(detectLocale(text));
}

const humanRe =
  /\b(human|humans|real person|actual person|live (agent|person|chat)|insaan|insan|manushya|customer (care|service|support)|representative|receptionist|someone (real|from (your|the) \w+)|(talk|speak|chat)( to| with)( a| an| some| the| your)?( [a-z]+)? ?(person|someone|somebody|agent|staff|owner|manager|human|advisor|adviser|counsellor|counselor|receptionist|executive|team|sales ?person|teacher|doctor)|(connect|transfer|put) me (to|with|through|in touch)|in touch with (a|an|your|the|some)|(can|could|will|please have|ask|get) (someone|somebody|anyone|your \w+( person)?|a \w+) (to )?(call|ring|phone) (me|back|us)|call me( back)?\b|give me a call|callback|call back|stop the bot|not a bot|no bot|(agent|staff|manager|owner|sir|madam|mam|teacher|doctor|receptionist|kisi|insaan|aadmi|banda|bande|person|team|counsellor) se baat|baat karwa|baat karao|baat karwao|baat karni hai|baat ho sakti|call karo|call kar lena|call kijiye|phone karo|phone kijiye|phone pe baat|koi (hai|banda|insaan|aadmi) (wahan|yahan|udhar)|koi hai (wahan|yahan|kya))\b/i;

/**
 * Hinglish word order: the person first, the asking after ("staff mein se kisi se baat karni hai",
 * "team ke kisi member se connect kar do", "koi staff wala hai?", "human chahiye").
 */
const humanHiRe =
  /\b(staff|team|human|insaan|insan|aadmi|banda|bande|member|executive|reception\w*|owner|manager|malik)\b.{0,30}\b(se baat|baat kar\w*|baat ho|connect kar\w*|bula\w*)|\bkoi (staff|insaan|insan|aadmi|banda|human|asli|real)\b.{0,20}\b(hai|wala|wali|ho)\b|\b(human|insaan|insan|aadmi|banda) chahiye\b/i;

export function wantsHuman(text: string, keywords: string[]): boolean {
  if (humanRe.test(text) || humanHiRe.test(text)) return true;
  const lower = text.toLowerCase();
  return keywords.some(
    (k) => k.trim() && new RegExp(`\\b${escapeRe(k.toLowerCase().trim())}(s|es)?\\b`).test(lower),
  );
}

const injectionRe =
  /(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instruction|instructions|rules|prompt|guidelines|directions)|system prompt|(reveal|show|print|repeat|tell me|what are|give me|share|leak|dump)\b.{0,30}\b(your|the|ur)\b.{0,20}\b(instructions|prompt|rules|configuration|config|guidelines)|developer mode|jailbreak|\bDAN\b|pretend (you are|to be)|you are now|act as (an? )?(unrestricted|different|new)|apne instructions|instructions (batao|dikhao)|prompt (batao|dikhao)/i;

export function isInjection(text: string): boolean {
  return injectionRe.test(text);
}

/** Asks to book outright. */
const bookingRe =
  /\b(book|booking|reserve|reservation|schedule|aana hai|aa sakta|aa sakti|aa jaun|aa jau|aaunga|aaungi|fix kar)\b|\b(want|need|like|get|make|chahiye|lena|milega|milegi)\b.{0,20}\b(appointment|appt|slot)|\b(appointment|appt|slot)s?\b.{0,20}\b(chahiye|lena|milega|milegi|karna|karni|please|pls|for)\b/i;
/** "can I come without booking?", "bina appointment ke": about walk-ins, not a request to book. */
const withoutBookingRe =
  /\b(without|bina|no|w\/o)\s+(an?\s+|prior\s+|any\s+)?(appointment|appt|booking|reservation)s?\b/i;
/** The business coming to the customer ("come over to my house", "ghar pe aake"): a home service question. */
const homeVisitRe =
  /\b(come|coming|visit|send)\b.{0,25}\b(to|at) (my|our) (house|home|place)\b|\bghar (pe|par) (aa|aake|aakar|aaoge|aayenge|aaogi)\b/i;
export const wantsBooking = (text: string) =>
  bookingRe.test(text) && !withoutBookingRe.test(text) && !homeVisitRe.test(text);
export const asksAboutWalkInOrHomeVisit = (text: string) =>
  withoutBookingRe.test(text) || homeVisitRe.test(text);

/**
 * An explicit request to book ("book karna hai", "book me", "I want to book", "appointment
 * chahiye", "book a haircut…"): booked at once when the slot is free. "Can I book…?" is a question.
 */
const explicitBookingRe =
  /\b(book|reserve|schedule)\s+(karna|karni|karo|kar\s*do|kar\s*dijiye|kariye|kar\s*dena|me|it|kar\s*dein|kar\s*den)\b|\b(want|wanna|need|like|love|going)\s+(to\s+)?(book|reserve|schedule|make (an? )?(appointment|booking))\b|\b(please|pls|plz|kindly)\s+(book|reserve|schedule)\b|(^|[,.!;:\n]\s*)(book|reserve|schedule)\s+(a|an|my|the|one|me|for|haircut|facial|\w+\s+(for|on|at|tomorrow|today|kal|parso))\b|\b(appointment|appt|slot|booking)\s+(chahiye|lena hai|karna hai|karni hai|fix kar)|\b(aana hai|fix kar\s*do)\b|\b(i want|i need|i'd like|i would like)\s+(an?\s+)?(appointment|appt|slot|booking)\b/i;
export const wantsBookingNow = (text: string) => explicitBookingRe.test(text);

/** A question ("can I come tomorrow at 5?", "aa sakta hoon?", "slot hai?"): answered with availability first. */
const questionRe =
  /\?|^\s*(can|could|may|is|are|do|does|will|would|any|kya|what|when|which)\b|\b(sakta|sakti|sakte)\s*(hoon|hu|hun|hain|hai|ho)?\b|\b(milega|milegi|milenge|khaali|khali)\b|\b(hai|hain)\s+kya\b/i;
export const isQuestion = (text: string) => questionRe.test(text);

/** "yes" to "shall I book it?". */
const confirmRe =
  /^\s*(yes|yeah|yea|yep|yup|sure|ok(ay)?|confirm(ed)?|go ahead|please do|do it|book it|haan|han|ha|haa|ji|ji haan|haan ji|ha ji|theek hai|thik hai|thik h|done|pakka|kar do|book kar do|bilkul|perfect|great)\b/i;
export const confirms = (text: string) => confirmRe.test(text) && !declines(text);

/** "no" to "shall I book it?". */
const declineRe =
  /^\s*(no|nope|nah|naa|negative|not now|no way|not really|don'?t|do not|nahi|nahin|na|mat|rehne do|rehne dijiye|cancel|later|baad me|baad mein)\b/i;
export const declines = (text: string) => declineRe.test(text);

/** Asks what something costs. */
const priceRe =
  /\b(price|prices|pricing|cost|costs|rate|rates|charge|charges|fee|fees|kitna|kitne|kitni|daam|keemat|kimat|how much)\b/i;
export const asksPrice = (text: string) => priceRe.test(text);
/** Mentions booking words that also appear in plain questions ("is parking available?"). */
const maybeBookingRe = /\b(appointment|appointments|appt|slot|slots|availability|available|free time)\b/i;
export const mentionsBooking = (text: string) => maybeBookingRe.test(text);

const cancelRe = /\b(cancel|cancell?ed|radd|call off)\b/i;
/**
 * A question about the rules ("what happens if I cancel", "is there a cancellation fee",
 * "cancel karne pe refund milega?"), not a request to act.
 */
const policyRe =
  /\b(fee|fees|charge|charges|charged|policy|policies|rule|rules|terms|niyam|refund|refunds|deposit|advance|upfront|money back|get back|penalty|kitna|what happens|if (i|we) (cancel|change|move|reschedule|leave|quit)|agar|karne (pe|par|se)|karoon to|karu to|karein to|later if|if needed|in case|how (late|early|soon|long before|far in advance|many (hours|days) before)|last[\s-]minute|without (paying|any charge|a charge|penalty)|free of (charge|cost)|for free|(do|will|would|should|shall) (i|we) (have to |need to )?(pay|lose)|(pay|paid|paying) (anything|extra|more)|katenge|katega|kategi|kat jayega|lagega|wapas|allowed to|(cancel\w*|reschedul\w*|change|move|shift)\s+(it\s+|my \w+\s+)?(if|in case|when)|if (something|anything|an emergency|plans?) (comes? up|happens?|changes?)|kuch (kaam )?aa (gaya|jaye|jata)|emergency ho)\b/i;
export const asksPolicy = (text: string) => policyRe.test(text);
/** "cancel my booking", not "is there a cancellation fee". */
export const wantsCancel = (text: string) => cancelRe.test(text) && !asksPolicy(text);

/** Moving an existing booking ("move my appointment to Tuesday", "booking parso kar do", "another day"). */
const rescheduleRe =
  /\b(reschedul\w*|postpone\w*|prepone\w*|push (it|my \w+) (back|to)|another (day|time|date)|different (day|time|date)|other day|(move|shift|change|badal\w*|aage|peeche|piche)\b.{0,40}\b(appointment|appt|booking|reservation|visit|class|demo|session|slot|table|time|date|day|it)|(appointment|appt|booking|reservation|visit|class|demo|session|slot|table)\b.{0,30}\b(move|shift|change|badal\w*|aage badha\w*|postpone)|time badal\w*|din badal\w*|doosre din|dusre din|instead of (my |the )?(mon|tues|wednes|thurs|fri|satur|sun)day|instead of (tomorrow|today|kal|aaj)|(a|one|ek) (day|week|din|hafte) (later|earlier|baad|pehle)|same time next week|(agle|agla) (hafte|hafta) (same|isi) (time|din|samay))\b/i;
export const wantsReschedule = (text: string) => rescheduleRe.test(text);
/** "meri booking ... kar do", "my appointment to ...": names the booking the customer already has. */
const ownBookingRe =
  /\b(my|our|meri|mera|hamari|humari|apni)\s+(\w+\s+)?(appointment|appt|booking|reservation|visit|slot|table booking|demo)\b/i;
export const mentionsOwnBooking = (text: string) => ownBookingRe.test(text);

const hoursRe =
  /\b(open|opens|opening|close|closes|closing|closed|timing|timings|(?<!happy )hours|working hours|business hours|khula|khuli|khule|khulta|khulti|khulte|khulega|khulegi|band|kab tak|kab se|what time do you|what time does|till what time|until what time|time kya|kitne baje)\b/i;
export const asksHours = (text: string) => hoursRe.test(text);

const addressRe =
  /\b(address|location|located|where (exactly )?(are|r) (you|u)|how (do|can|should|will) (i|we) (get|reach|find|come) (to )?(you|u|there|the \w+|your \w+)|which (area|part|locality|side|neighbou?rhood|sector|road)|where do (i|we) (go|come)|where (exactly )?is (the|your) (\w+ )?(place|clinic|studio|centre|center|office|shop)|kahan aana|kaha aana|kidhar aana|where('s| is) (the|your|ur) (clinic|office|shop|salon|store|studio|restaurant|cafe|institute|centre|center|academy|place|branch|outlet|showroom)|kahan (hai|ho|par|pe)|kaha hai|kidhar (hai|ho)|directions|pata)\b/i;
export const asksAddress = (text: string) => addressRe.test(text);

const greetingRe =
  /^\s*(hi+|hello+|hey+|hlo|helo|namaste|namaskar|namaskaar|good (morning|afternoon|evening)|hola|salaam|salam|yo|hii+)\b[\s!.,?🙏👋😊]*(there|ji|bhai|sir|madam)?[\s!.,?🙏👋😊]*$/iu;
export const isGreeting = (text: string) => greetingRe.test(text);

const thanksRe =
  /^\s*(ok(ay)?|ok thanks|thanks|thank you|thank u|thx|ty|shukriya|dhanyavad|dhanyawad|great|cool|perfect|theek hai|thik hai|acha|accha)\b[\s!.,🙏👍😊]*(so much|a lot|ji|bhai)?[\s!.,🙏👍😊]*$/iu;
export const isThanks = (text: string) => thanksRe.test(text);

/**
 * Taking leave, alone or with thanks: "bye", "Thanks, bye", "that's all, thank you", "no thanks,
 * that's it", "ok bye", "alvida", "chalo bye". Not "bye" inside a question ("can I buy...").
 */
const goodbyeRe =
  /^\s*((ok(ay)?|no|nope|nah|thanks|thank you|thank u|thx|shukriya|dhanyavad|dhanyawad|great|perfect|cool|alright|chalo|theek hai|thik hai)[\s!.,]*)*(bye( bye)?|good ?bye|see (you|ya)|take care|that'?s (all|it)|that is (all|it)|nothing( else)?|no more questions|no,? thanks?|no,? thank you|alvida|bas itna hi|bas)\b[\s!.,🙏👋😊]*((thanks|thank you|thank u|for now|for today|ji|bhai)[\s!.,🙏👋😊]*)*$/iu;
export const isGoodbye = (text: string) => goodbyeRe.test(text);

/** "Who is this?", "who are you", "kaun bol raha hai": the caller asks who they are talking to. */
const whoRe =
  /^\s*(hello[\s,?!.]*)?(who('s| is) (this|that|calling|speaking)|who are you|who am i (talking|speaking) (to|with)|what is this( about)?|kaun (bol (raha|rahi|rahe) (hai|hain|ho)|hai)|aap kaun( (ho|hain|hai))?)\b[\s?!.]*$/i;
export const asksWhoItIs = (text: string) => whoRe.test(text);

/** A bare acknowledgement with nothing to acknowledge: "yes", "hmm", "haan", "hello?" alone. */
const ackRe =
  /^\s*(ok(ay)?[\s,]+)?(yes|yeah|yep|ya|sure|haan|haa|ji|hmm+|mm+|uh+|um+|hm+|huh|no|nahi|nope)([\s,]+(please|pls|thanks|thank you|ji))?[\s!.,?]*$/i;
export const isBareAck = (text: string) => ackRe.test(text);

/** No letters or digits at all: emoji, punctuation. */
export const isSymbolsOnly = (text: string) => text.trim().length > 0 && !/[\p{L}\p{N}]/u.test(text);

export interface LeadFields {
  name?: string;
  email?: string;
  phone?: string;
}

const notNames = new Set(
  'looking interested here just trying calling asking wondering new fine good okay ok available free coming going not sure from in at with the a an very so really glad happy planning hoping'.split(
    ' ',
  ),
);

export function extractLeadFields(text: string, defaultCountry: string): LeadFields {
  const out: LeadFields = {};
  const email = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/.exec(text);
  if (email) out.email = email[0].toLowerCase();
  try {
    const phone = findPhoneNumbersInText(text, defaultCountry as CountryCode)[0];
    if (phone) out.phone = phone.number.number;
  } catch {
    // An unknown default country: no phone capture rather than a failed reply.
  }
  const patterns = [
    /\bmera naam\s+([\p{L}]+(?:\s+[\p{L}]+)?)\s+(?:hai|h)\b/iu,
    /\b(?:mera naam|naam)\s+(?:hai\s+)?([\p{L}]+(?:\s+[\p{L}]+)?)/iu,
    /\bmy name(?:'s| is)\s+([\p{L}]+(?:\s+[\p{L}]+)?)/iu,
    /\b(?:[Tt]his is|[Ii] am|[Ii]'m|[Ii]m)\s+(\p{Lu}[\p{L}]+(?:\s+\p{Lu}[\p{L}]+)?)/u,
    /\bname\s*[:-]\s*([\p{L}]+(?:\s+[\p{L}]+)?)/iu,
  ];
  for (const re of patterns) {
    const m = re.exec(text);
    if (!m) continue;
    const words = m[1]
      .split(/\s+/)
      .filter((w) => !/^(hai|h|and|aur|my|email|phone|number|is|here)$/i.test(w));
    if (words.length === 0 || notNames.has(words[0].toLowerCase())) continue;
    const second = words[1] && /^\p{Lu}/u.test(words[1]) ? words[1] : undefined;
    out.name = [words[0], second]
      .filter(Boolean)
      .map((w) => cap(w as string))
      .join(' ');
    break;
  }
  return out;
}

const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Asks how long a service takes. */
const durationRe =
  /\b((is|will) (it|that|the \w+) (be )?(long|lengthy)|how long|how many (minutes|hours)|duration|kitna (time|samay|waqt)|kitni der|kitne der|kitne minute|time lagta|time lagega|samay lagta)\b/i;
export const asksDuration = (text: string) => durationRe.test(text);

/** Asks what the business offers. */
const servicesRe =
  /\b((what|which) (all )?(services|treatments|courses|programmes|programs|packages)|services (do|you|kya)|what (do|can) (you|i) (do|offer|book)|what can i book|kya kya (karte|milta|hai|services)|services kaun|service list|list of services|price list|prices list|rate list|rate card|price card|kaun kaun (si|se|sa)|kya kya (treatment|service)\w*)\b/i;
export const asksServices = (text: string) => servicesRe.test(text);

/**
 * The intents a message is read for without a list of choices, by name: what the built-in agent
 * reads in messages, and what a voice flow's `intent` capture knows by itself. Each is the rule,
 * else the classifier (nlu/) when it is sure ("much appreciated" is thanks, "I'd like to get my
 * teeth looked at" is book).
 */
const byRuleOrClassifier =
  (name: string, rule: (text: string) => boolean) =>
  (text: string): boolean =>
    rule(text) || sureIntent(classify(toLatin(text))) === name;

export const namedIntents: ReadonlyArray<readonly [string, (text: string) => boolean]> = [
  ['human', byRuleOrClassifier('human', (t) => wantsHuman(t, []))],
  ['cancel', byRuleOrClassifier('cancel', wantsCancel)],
  ['book', byRuleOrClassifier('book', wantsBooking)],
  ['price', byRuleOrClassifier('price', asksPrice)],
  ['hours', byRuleOrClassifier('hours', asksHours)],
  ['address', byRuleOrClassifier('address', asksAddress)],
  ['thanks', byRuleOrClassifier('thanks', isThanks)],
  ['greeting', byRuleOrClassifier('greeting', isGreeting)],
];
