/**
 * The words customers use for what a business's documents call by other names: synonyms,
 * everyday descriptions of a problem ("my teeth hurt when I drink cold water" is what a clinic
 * calls sensitivity), and Hinglish transliterations ("kiraya" is rent). Retrieval searches every
 * word of a group when the customer uses one of them, on both storages, on top of their
 * stemming (FTS5 porter, PostgreSQL english).
 */
const groups: string[][] = [
  // money
  ['price', 'prices', 'cost', 'costs', 'rate', 'rates', 'charge', 'charges', 'fee', 'fees', 'pricing'],
  ['kitna', 'kitne', 'kitni', 'daam', 'dam', 'keemat', 'kimat', 'paisa', 'paise', 'rupees', 'rs', 'price'],
  ['payment', 'pay', 'paying', 'upi', 'card', 'cards', 'cash', 'gpay', 'phonepe', 'paytm', 'googlepay'],
  ['refund', 'refunds', 'refunded', 'refundable', 'return', 'returns'],
  ['instalment', 'instalments', 'installment', 'installments', 'emi', 'kisht', 'kishton', 'kisto'],
  ['loan', 'loans', 'finance', 'mortgage', 'bank'],
  ['discount', 'discounts', 'offer', 'offers', 'deal', 'deals', 'concession', 'scholarship', 'scholarships'],
  ['deposit', 'advance', 'token'],
  // time and place
  ['timing', 'timings', 'hours', 'time', 'schedule'],
  ['parking', 'park', 'car', 'cars', 'gaadi', 'gadi', 'vehicle', 'valet', 'scooter', 'bike'],
  ['delivery', 'deliver', 'delivers', 'shipping', 'ship', 'swiggy', 'zomato'],
  ['wheelchair', 'accessible', 'accessibility', 'disabled', 'disability', 'lift', 'lifts', 'elevator'],
  ['metro', 'station', 'airport', 'expressway', 'connectivity', 'distance'],
  ['possession', 'handover', 'handed', 'ready'],
  ['rent', 'rental', 'rentals', 'kiraya', 'kiraye', 'lease', 'tenant'],
  ['hostel', 'pg', 'accommodation', 'stay', 'staying', 'room', 'rooms'],
  ['online', 'live', 'streamed', 'remote', 'recordings', 'virtual'],
  ['nri', 'nris', 'abroad', 'overseas', 'dubai', 'usa', 'uk', 'canada', 'foreign'],
  ['security', 'safe', 'safety', 'guard', 'guards', 'cctv'],
  ['power', 'electricity', 'bijli', 'backup'],
  ['pet', 'pets', 'dog', 'dogs', 'cat', 'cats', 'puppy'],
  // people
  ['child', 'children', 'kid', 'kids', 'baby', 'babies', 'bachcha', 'bacche', 'bachche', 'toddler'],
  ['group', 'groups', 'people', 'persons', 'guests', 'party', 'office', 'corporate', 'colleagues'],
  ['wedding', 'married', 'marriage', 'bride', 'bridal', 'shaadi', 'shadi', 'dulhan'],
  // salon
  ['haircut', 'hair', 'baal'],
  ['frizzy', 'frizz', 'smoothening', 'smoothing', 'keratin', 'straightening', 'unmanageable'],
  ['hygiene', 'sterilised', 'sterilized', 'sterile', 'clean', 'sanitised', 'sanitized', 'autoclaved'],
  // health
  ['tooth', 'teeth', 'daant', 'dant', 'dental', 'dentist'],
  ['pain', 'hurt', 'hurts', 'hurting', 'ache', 'aching', 'dard', 'twinge', 'sensitive', 'sensitivity'],
  ['cold', 'thanda', 'chilled', 'icy'],
  ['blood', 'bleed', 'bleeds', 'bleeding', 'khoon', 'khun'],
  ['swelling', 'swollen', 'swell', 'sujan', 'soojan', 'abscess'],
  ['breath', 'smell', 'smells', 'smelly', 'odour', 'odor', 'badboo'],
  ['crooked', 'braces', 'aligners', 'straighten', 'misaligned', 'uneven'],
  ['implant', 'implants', 'missing', 'replace', 'replacement', 'denture', 'dentures'],
  ['white', 'whiter', 'whitening', 'whiten', 'yellow', 'stains', 'stained', 'bleaching'],
  ['emergency', 'urgent', 'urgently', 'night', 'midnight'],
  ['insurance', 'insurer', 'cashless', 'mediclaim', 'claim'],
  ['xray', 'x-ray', 'scan', 'rvg', 'opg'],
  // food
  ['allergy', 'allergic', 'allergies', 'allergen', 'allergens'],
  ['jain', 'onion', 'garlic', 'pyaaz', 'pyaz', 'lehsun', 'lahsun'],
  ['vegan', 'dairy', 'plant'],
  ['alcohol', 'beer', 'wine', 'cocktails', 'drinks', 'bar', 'daaru'],
  ['cake', 'birthday', 'celebration', 'anniversary'],
  // education
  ['doubt', 'doubts', 'weak', 'hard', 'difficult', 'struggling', 'mentoring', 'tuition'],
  ['neet', 'medical', 'doctor', 'mbbs', 'biology'],
  ['jee', 'engineering', 'engineer', 'iit'],
  ['speaking', 'interview', 'interviews', 'confidence', 'nervous', 'communication', 'spoken'],
  ['material', 'materials', 'notes', 'books', 'modules'],
  ['batch', 'batches', 'students', 'class'],
  ['attendance', 'absent', 'skips', 'skip', 'misses', 'bunk'],
];

/** Phrases that say a word the customer never typed: "at once" asks about instalments. */
const phrases: Array<[RegExp, string]> = [
  [/\b(at once|ek saath|ek sath|whole fee|full fee|full amount|in parts)\b/i, 'instalments'],
  [/\bmoney back\b|\bpaise wapas\b|\bwapas milega\b/i, 'refund'],
  [/\border\b.{0,30}\b(home|house|ghar)\b|\bhome delivery\b/i, 'delivery'],
  [/\bwithout (meat|dairy|milk)\b/i, 'vegan'],
  [/\bpower cut\b|\bno electricity\b/i, 'backup'],
  [/\bfrom home\b|\bghar se\b/i, 'online'],
  [/\bhow far\b|\bkitni door\b|\bkitna door\b/i, 'km'],
  [/\bhow big\b|\bsize\b|\bkitna bada\b/i, 'sq'],
  [/\bleave my car\b|\bpark (my|the) car\b/i, 'parking'],
  [/\bmove in\b|\bready to move\b/i, 'ready'],
  [/\b(lost|broken) (a |my )?tooth\b/i, 'implant'],
];

const groupsOf = new Map<string, string[][]>();
for (const g of groups) for (const w of g) groupsOf.set(w, [...(groupsOf.get(w) ?? []), g]);

/** The word and the words it stands for. */
export function expandWord(w: string): string[] {
  const found = groupsOf.get(w);
  if (!found) return [w];
  return [...new Set([w, ...found.flat()])];
}

/** Words implied by phrases of the message. */
export function impliedWords(text: string): string[] {
  return phrases.filter(([re]) => re.test(text)).map(([, w]) => w);
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

export function transliterate(text: string): string {
  if (!/[\u0900-\u097F]/.test(text)) return text;
  let out = '';
  const chars = [...text.normalize('NFC')];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const next = chars[i + 1];
    if (consonants[c] !== undefined) {
      out += consonants[c];
      if (next === '्') i++;
      else if (next && signs[next] !== undefined) {
        out += signs[next];
        i++;
      } else if (next && /[\u0900-\u097F]/.test(next) && next !== 'ं' && next !== 'ँ' && next !== 'ः')
        out += 'a';
      else if (next === 'ं' || next === 'ँ') out += 'a';
    } else if (vowels[c] !== undefined) out += vowels[c];
    else if (c === 'ं' || c === 'ँ') out += 'n';
    else if (c === 'ः') out += 'h';
    else if (c === '़' || c === '्') continue;
    else if (digits.includes(c)) out += String(digits.indexOf(c));
    else if (c === '।') out += '.';
    else out += c;
  }
  return out;
}
