/**
 * Twilio's default opt-out and opt-in keywords (Advanced Opt-Out defaults; REVOKE and OPTOUT
 * joined the opt-out list in 2025, following the FCC's revocation rules). A message that is
 * exactly one of them (case, spaces and a final "." or "!" aside) opts the sender out or in.
 */
export const OPT_OUT_KEYWORDS = new Set([
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
]);
export const OPT_IN_KEYWORDS = new Set(['START', 'YES', 'UNSTOP']);

/** `opt_out`, `opt_in`, or undefined: the whole message must be the keyword (case and spacing aside). */
export function optKeyword(text: string): 'opt_out' | 'opt_in' | undefined {
  const word = text
    .trim()
    .replace(/[.!]+$/, '')
    .toUpperCase();
  if (OPT_OUT_KEYWORDS.has(word)) return 'opt_out';
  if (OPT_IN_KEYWORDS.has(word)) return 'opt_in';
  return undefined;
}

/**
 * The unambiguous keywords only (STOP, STOPALL, UNSUBSCRIBE, OPTOUT; START, UNSTOP), for channels
 * without carrier keyword rules such as WhatsApp, where Meta asks businesses to honour opt-out
 * requests: "cancel" or "yes" alone there mean something else.
 */
export function plainOptKeyword(text: string): 'opt_out' | 'opt_in' | undefined {
  const word = text
    .trim()
    .replace(/[.!]+$/, '')
    .toUpperCase();
  if (word === 'STOP' || word === 'STOPALL' || word === 'UNSUBSCRIBE' || word === 'OPTOUT') return 'opt_out';
  if (word === 'START' || word === 'UNSTOP') return 'opt_in';
  return undefined;
}
