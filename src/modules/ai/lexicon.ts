import { stem } from '../../platform/text.ts';

/**
 * The words customers use for what a business's documents call by other names: synonyms,
 * everyday descriptions of a problem ("my teeth hurt when I drink cold water" is what a clinic
 * calls sensitivity), and Hinglish transliterations ("kiraya" is rent). Retrieval searches every
 * word of a group when the customer uses one of them, on both storages, on top of their
 * stemming (FTS5 porter, PostgreSQL english).
 */
const groups: string[][] = [
  // money
  [
    'price',
    'prices',
    'cost',
    'costs',
    'rate',
    'rates',
    'charge',
    'charges',
    'charged',
    'fee',
    'fees',
    'pricing',
    'pay',
    'paying',
    'paid',
    'payable',
    'expensive',
    'cheap',
    'affordable',
  ],
  ['kitna', 'kitne', 'kitni', 'daam', 'dam', 'keemat', 'kimat', 'paisa', 'paise', 'rupees', 'rs', 'price'],
  [
    'payment',
    'pay',
    'paying',
    'upi',
    'card',
    'cards',
    'cash',
    'gpay',
    'phonepe',
    'paytm',
    'googlepay',
    'credit',
    'debit',
    'netbanking',
    'wallet',
  ],
  ['refund', 'refunds', 'refunded', 'refundable', 'return', 'returns', 'wapas', 'waapas', 'vapas'],
  ['instalment', 'instalments', 'installment', 'installments', 'emi', 'kisht', 'kishton', 'kisto', 'kiston'],
  ['loan', 'loans', 'finance', 'mortgage', 'bank'],
  // "offer" is left out: "do you offer X" is how FAQs ask about anything.
  [
    'discount',
    'discounts',
    'off',
    'deal',
    'deals',
    'concession',
    'coupon',
    'promo',
    'reduce',
    'reduced',
    'reduction',
    'cheaper',
    'scholarship',
    'scholarships',
  ],
  ['student', 'students', 'college', 'university'],
  ['gift', 'gifts', 'voucher', 'vouchers', 'giftcard', 'hamper'],
  ['walk', 'walkin', 'walkins', 'drop', 'bina'],
  ['home', 'house', 'doorstep', 'residence'],
  [
    'quit',
    'quits',
    'quitting',
    'discontinue',
    'withdraw',
    'leave',
    'leaving',
    'chhod',
    'chhodna',
    'chhoda',
    'chhodne',
  ],
  ['size', 'strength', 'capacity'],
  ['change', 'move', 'shift', 'reschedule', 'postpone', 'prepone', 'badal', 'badalna'],
  ['admission', 'admissions', 'joining', 'join', 'enrol', 'enroll', 'enrolment', 'enrollment'],
  ['society', 'societies', 'complex', 'gated', 'township'],
  ['cleaning', 'clean', 'saaf', 'safai', 'scaling', 'cleanup'],
  ['rule', 'rules', 'policy', 'policies', 'niyam', 'terms'],
  ['outside', 'elsewhere'],
  ['lab', 'laboratory', 'diagnostic', 'diagnostics', 'pathology'],
  ['deposit', 'advance', 'token', 'upfront'],
  // time and place
  ['timing', 'timings', 'hours', 'time', 'schedule'],
  ['parking', 'park', 'car', 'cars', 'gaadi', 'gadi', 'vehicle', 'valet', 'scooter', 'bike'],
  [
    'delivery',
    'deliver',
    'delivers',
    'shipping',
    'ship',
    'swiggy',
    'zomato',
    'bhejte',
    'bhejoge',
    'bhej',
    'bhejna',
  ],
  ['commission', 'brokerage'],
  ['wheelchair', 'accessible', 'accessibility', 'disabled', 'disability', 'lift', 'lifts', 'elevator'],
  ['metro', 'station', 'airport', 'expressway', 'connectivity', 'distance'],
  ['possession', 'handover', 'handed', 'ready'],
  ['rent', 'rental', 'rentals', 'kiraya', 'kiraye', 'lease', 'tenant'],
  ['hostel', 'pg', 'accommodation', 'stay', 'staying', 'room', 'rooms'],
  ['online', 'live', 'streamed', 'remote', 'recordings', 'recorded', 'virtual', 'internet', 'zoom'],
  ['nri', 'nris', 'abroad', 'overseas', 'dubai', 'usa', 'uk', 'canada', 'foreign'],
  ['security', 'safe', 'safety', 'guard', 'guards', 'cctv'],
  ['power', 'electricity', 'bijli', 'backup'],
  ['pet', 'pets', 'dog', 'dogs', 'cat', 'cats', 'puppy', 'kutta', 'kutte', 'kutton', 'billi'],
  ['flat', 'flats', 'apartment', 'apartments', 'unit', 'units'],
  ['amenities', 'amenity', 'facilities', 'facility', 'clubhouse'],
  ['pool', 'swimming', 'swim'],
  ['gym', 'fitness', 'workout'],
  // seeing someone (a doctor, a stylist): "can he see a dentist" meets "Dr. Mehta sees children"
  ['see', 'sees', 'seeing', 'seen'],
  // people
  [
    'child',
    'children',
    'kid',
    'kids',
    'toddler',
    'toddlers',
    'infant',
    'infants',
    'baby',
    'babies',
    'bachcha',
    'bacche',
    'bachche',
    'bacchon',
    'bachon',
    'bachchon',
    'baccha',
    'toddler',
  ],
  ['group', 'groups', 'people', 'persons', 'guests', 'party', 'office', 'corporate', 'colleagues'],
  ['wedding', 'married', 'marriage', 'bride', 'bridal', 'shaadi', 'shadi', 'dulhan'],
  // salon
  ['haircut', 'hair', 'baal', 'trim', 'trimming'],
  // who a service is for: "gents haircut", "ladko ka haircut" meet "Haircut for men"
  [
    'men',
    'mens',
    'man',
    'gents',
    'gent',
    'male',
    'males',
    'boys',
    'ladko',
    'ladke',
    'ladkon',
    'purush',
    'purushon',
    'aadmi',
    'mard',
  ],
  [
    'women',
    'womens',
    'woman',
    'ladies',
    'lady',
    'female',
    'females',
    'girls',
    'ladkiyon',
    'ladkiyo',
    'ladki',
    'mahila',
    'mahilao',
    'aurat',
  ],
  ['colour', 'color', 'colouring', 'coloring', 'dye', 'highlights', 'balayage', 'grey', 'gray'],
  ['nail', 'nails', 'manicure', 'pedicure', 'mani', 'pedi'],
  ['cruelty', 'animal', 'animals', 'paraben', 'chemical', 'chemicals', 'natural', 'organic'],
  ['frizzy', 'frizz', 'smoothening', 'smoothing', 'keratin', 'straightening', 'unmanageable'],
  ['hygiene', 'sterilised', 'sterilized', 'sterile', 'clean', 'sanitised', 'sanitized', 'autoclaved'],
  // health
  ['tooth', 'teeth', 'daant', 'dant', 'dental', 'dentist', 'mouth', 'oral'],
  ['pain', 'hurt', 'hurts', 'hurting', 'ache', 'aching', 'dard', 'twinge', 'sensitive', 'sensitivity'],
  ['cold', 'thanda', 'chilled', 'icy'],
  ['blood', 'bleed', 'bleeds', 'bleeding', 'khoon', 'khun'],
  ['gum', 'gums', 'masoode', 'masoodon', 'masude', 'masudon', 'masoodhe'],
  ['swelling', 'swollen', 'swell', 'sujan', 'soojan', 'abscess'],
  ['breath', 'smell', 'smells', 'smelly', 'odour', 'odor', 'badboo'],
  ['crooked', 'braces', 'aligners', 'straighten', 'misaligned', 'uneven', 'gap', 'gaps', 'tedhe', 'tedha'],
  ['cavity', 'cavities', 'filling', 'fillings', 'decay', 'keeda', 'rotten'],
  ['extraction', 'extract', 'removal', 'remove', 'pull', 'wisdom', 'nikalna', 'nikalwana'],
  ['implant', 'implants', 'missing', 'replace', 'replacement', 'denture', 'dentures'],
  ['white', 'whiter', 'whitening', 'whiten', 'yellow', 'stains', 'stained', 'bleaching'],
  ['emergency', 'urgent', 'urgently', 'night', 'midnight'],
  ['insurance', 'insurer', 'cashless', 'mediclaim', 'claim', 'cover', 'covered', 'coverage', 'reimbursement'],
  ['xray', 'x-ray', 'scan', 'rvg', 'opg'],
  // food
  [
    'allergy',
    'allergic',
    'allergies',
    'allergen',
    'allergens',
    'intolerant',
    'intolerance',
    'coeliac',
    'celiac',
  ],
  ['jain', 'onion', 'garlic', 'pyaaz', 'pyaz', 'lehsun', 'lahsun'],
  ['vegan', 'dairy', 'plant'],
  ['alcohol', 'beer', 'wine', 'cocktails', 'drinks', 'bar', 'daaru', 'liquor', 'sharab', 'sharaab', 'whisky'],
  ['cake', 'birthday', 'celebration', 'anniversary'],
  // education
  [
    'doubt',
    'doubts',
    'weak',
    'hard',
    'difficult',
    'struggling',
    'mentoring',
    'tuition',
    'support',
    'guidance',
  ],
  ['test', 'tests', 'mock', 'mocks', 'exam', 'exams'],
  ['neet', 'medical', 'doctor', 'mbbs', 'biology'],
  ['jee', 'engineering', 'engineer', 'iit'],
  ['speaking', 'interview', 'interviews', 'confidence', 'nervous', 'communication', 'spoken'],
  ['material', 'materials', 'notes', 'books', 'modules'],
  ['batch', 'batches', 'students', 'class'],
  ['class', 'classes', 'lecture', 'lectures'],
  ['attendance', 'absent', 'skips', 'skip', 'misses', 'bunk'],
];

/**
 * Phrases that say a word the customer never typed: "at once" asks about instalments. A phrase
 * that stands for several words ("ghar pe aake": a home service) is found in a passage only when
 * all of them are.
 */
const phrases: Array<[RegExp, string | string[]]> = [
  [/\b(at once|ek saath|ek sath|whole fee|full fee|full amount|in parts)\b/i, 'instalments'],
  [
    /\b(money|fee|fees|amount|paise|paisa) (back|wapas)\b|\bget (it |anything |something |any money )?back\b|\bwapas (milega|milegi|milenge|milta|milti|karoge|karenge|karte)\b/i,
    'refund',
  ],
  [/\border\b.{0,30}\b(home|house|ghar)\b|\bhome delivery\b/i, 'delivery'],
  [/\bwithout (meat|dairy|milk)\b/i, 'vegan'],
  [/\bpower cut\b|\bno electricity\b/i, 'backup'],
  [/\bfrom home\b|\bghar se\b/i, 'online'],
  [/\b(watch|see|view) (it|them|the \w+) (later|again|afterwards)\b|\bbaad (me|mein) dekh/i, 'recordings'],
  [/\bhow far\b|\bkitni door\b|\bkitna door\b/i, 'km'],
  [/\bhow big\b|\bsize\b|\bkitna bada\b/i, 'sq'],
  [/\bleave my car\b|\bpark (my|the) car\b/i, 'parking'],
  [/\bmove in\b|\bready to move\b/i, 'ready'],
  [/\b(lost|broken) (a |my )?tooth\b/i, 'implant'],
  // Pain that cannot wait: "severe tooth pain at night" is what an emergency line is for.
  [
    /\b(severe|unbearable|terrible|extreme|intense|excruciating|very bad|a lot of)\b.{0,20}\b(pain|ache|aching|toothache|hurt\w*|bleed\w*|swell\w*)\b|\b(pain|ache|toothache|bleeding)\b.{0,30}\b(at night|tonight|right now|middle of the night)\b/i,
    'emergency',
  ],
  // Who it is for, by age: "my 5 year old", "8 saal ka beta".
  [
    /\b\d{1,2}[\s-]*(yr|yrs|year|years)[\s-]*old\b|\b\d{1,2} (saal|sal) (ka|ki|ke)\b|\b(son|daughter|kid|child|baby|beta|beti) (is|turned|is just|is only) \d{1,2}\b/i,
    'children',
  ],
  [
    /\bhow many\b.{0,30}\b(in|per) (a|one|each|the)\s+(class|batch|group|room)\b|\b(class|batch) (me|mein) kitne\b/i,
    'size',
  ],
  // Without an appointment (a walk-in), without paying (free of charge).
  [
    /\b(without|bina|no|w\/o)\s+(an?\s+|prior\s+|any\s+)?(appointment|booking|reservation)\b|\bdrop (in|by)\b/i,
    'walk',
  ],
  [
    /\b(without|bina)\s+(paying|paise|any (charge|fee|penalty)|a (charge|fee|penalty)|being charged|charge)\b|\bno (charge|fee|penalty)\b|\bfor free\b/i,
    'free',
  ],
  [
    /\bhow (late|early|soon|long before|many (hours|days) before)\b|\blast[\s-]minute\b|\bkitne (ghante|din) pehle\b/i,
    'before',
  ],
  // The business coming to the customer: "come to my house", "ghar pe aake".
  [
    /\b(come|coming|visit|send)\b.{0,25}\b(to|at) (my|our) (house|home|place)\b|\bghar (pe|par) (aa|aake|aakar|aaoge|aayenge|aaogi)\b/i,
    ['home', 'service'],
  ],
  [/\bwhere (will|would|can|do|does) (she|he|they|i|we|my \w+) (stay|live)\b/i, 'accommodation'],
];

const groupsOf = new Map<string, string[][]>();
const groupsOfStem = new Map<string, string[][]>();
for (const g of groups)
  for (const w of g) {
    groupsOf.set(w, [...(groupsOf.get(w) ?? []), g]);
    const s = stem(w);
    if (!groupsOfStem.get(s)?.includes(g)) groupsOfStem.set(s, [...(groupsOfStem.get(s) ?? []), g]);
  }

/** The word and the words it stands for ("rented" finds the group of "rent" by its stem). */
export function expandWord(w: string): string[] {
  const found = groupsOf.get(w) ?? groupsOfStem.get(stem(w));
  if (!found) return [w];
  return [...new Set([w, ...found.flat()])];
}

/** Words implied by phrases of the message, one list per phrase. */
export function impliedWords(text: string): string[][] {
  return phrases.filter(([re]) => re.test(text)).map(([, w]) => (Array.isArray(w) ? w : [w]));
}

// Devanagari to Latin letters, so "क्या आप रविवार को खुले हैं" is read as Hinglish
// ("kya aap ravivar ko khule hain"). Inherent vowels are dropped at word ends, as Hinglish writes them.
const consonants: Record<string, string> = {
  क: 'k',
  ख: 'kh',
  ग: 'g',
  घ: 'gh',
  ङ: 'n',
  च: 'ch',
  छ: 'chh',
  ज: 'j',
  झ: 'jh',
  ञ: 'n',
  ट: 't',
  ठ: 'th',
  ड: 'd',
  ढ: 'dh',
  ण: 'n',
  त: 't',
  थ: 'th',
  द: 'd',
  ध: 'dh',
  न: 'n',
  प: 'p',
  फ: 'ph',
  ब: 'b',
  भ: 'bh',
  म: 'm',
  य: 'y',
  र: 'r',
  ल: 'l',
  व: 'v',
  श: 'sh',
  ष: 'sh',
  स: 's',
  ह: 'h',
  ड़: 'd',
  ढ़: 'dh',
  क़: 'q',
  ख़: 'kh',
  ग़: 'g',
  ज़: 'z',
  फ़: 'f',
  ऱ: 'r',
  ळ: 'l',
};
const vowels: Record<string, string> = {
  अ: 'a',
  आ: 'aa',
  इ: 'i',
  ई: 'ee',
  उ: 'u',
  ऊ: 'oo',
  ऋ: 'ri',
  ए: 'e',
  ऐ: 'ai',
  ओ: 'o',
  औ: 'au',
};
const signs: Record<string, string> = {
  'ा': 'aa',
  'ि': 'i',
  'ी': 'ee',
  'ु': 'u',
  'ू': 'oo',
  'ृ': 'ri',
  'े': 'e',
  'ै': 'ai',
  'ो': 'o',
  'ौ': 'au',
};
const digits = '०१२३४५६७८९';

/** Marks and punctuation read alone (a virama or nukta with no consonant before it says nothing). */
const marks: Record<string, string> = { 'ं': 'n', 'ँ': 'n', 'ः': 'h', '़': '', '्': '', '।': '.' };

/**
 * A consonant with the sign after it: a virama drops the vowel, a vowel sign replaces it, and
 * any other Devanagari after it (but a visarga) gives it its inherent "a". `used` says whether
 * the sign after was taken with it.
 */
function consonantSyllable(c: string, next: string | undefined): { text: string; used: boolean } {
  const base = consonants[c];
  if (next === '्') return { text: base, used: true };
  if (next === undefined) return { text: base, used: false };
  if (signs[next] !== undefined) return { text: base + signs[next], used: true };
  if (/[\u0900-\u097F]/.test(next) && next !== 'ः') return { text: base + 'a', used: false };
  return { text: base, used: false };
}

/** A character that does not start a syllable, in Latin letters. */
function standalone(c: string): string {
  if (vowels[c] !== undefined) return vowels[c];
  if (marks[c] !== undefined) return marks[c];
  if (digits.includes(c)) return String(digits.indexOf(c));
  return c;
}

export function transliterate(text: string): string {
  if (!/[\u0900-\u097F]/.test(text)) return text;
  let out = '';
  const chars = [...text.normalize('NFC')];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (consonants[c] === undefined) {
      out += standalone(c);
      continue;
    }
    const syllable = consonantSyllable(c, chars[i + 1]);
    out += syllable.text;
    if (syllable.used) i++;
  }
  return out;
}
