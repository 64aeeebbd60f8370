import { type LocaleCode, say } from './locale.ts';
/**
 * Questions about a policy versus requests to act. "What if I need to cancel?", "is it possible to
 * cancel in case my dog falls sick?", "agar cancel karna pade to?" ask what the rules are: the
 * agent answers the policy and then offers the action; "cancel my booking" acts.
 */

export type PolicyTopic = 'cancel' | 'reschedule' | 'late' | 'miss' | 'refund';

/** A conditional or hypothetical: the customer imagines the case rather than asking for it. */
const hypotheticalRe =
  /\b(what if|what happens if|what happens when|what would happen|what will happen|what'?s the (rule|policy) if|suppose|supposing|in case|incase|just in case|if (i|we|my|it|he|she|they|the|for some reason)\b|agar|maan lo|maan lijiye|man lo|man lijiye|maaniye|is it (ok|okay|fine|allowed) (if|to)|would i be able to|will i be able to|kya hoga)\b/i;

const topics: Array<[PolicyTopic, RegExp]> = [
  ['refund', /\b(refund\w*|money back|paise wapas|paisa wapas)\b/i],
  ['late', /\b(late|der se|der ho|delay\w*)\b/i],
  [
    'reschedule',
    /\b(reschedul\w*|postpone\w*|move|shift|change (the |my )?(date|time|day)|another day|different day|other day|doosre din|dusre din|badal\w*)\b/i,
  ],
  ['cancel', /\b(cancel\w*|radd|call off)\b/i],
  [
    'miss',
    /\b(miss|missed|no[\s-]?show|can'?t make it|cannot make it|not able to (come|make it)|nahi aa pa\w*|na aa pa\w*|nahi aa sak\w*)\b/i,
  ],
];

/** The policy a hypothetical question is about, or null for anything else (a request to act included). */
export function policyQuestion(text: string): PolicyTopic | null {
  if (!hypotheticalRe.test(text)) return null;
  for (const [topic, re] of topics)
    if (re.test(text)) return topic === 'miss' && /\bcancel/i.test(text) ? 'cancel' : topic;
  return null;
}

/** What to search the knowledge for, per topic: the words a policy document uses. */
export const policyQuery: Record<PolicyTopic, string> = {
  cancel: 'cancel cancellation policy charge',
  reschedule: 'reschedule move appointment charge',
  late: 'late arrival',
  miss: 'no-show cancellation charged fee',
  refund: 'refund unused',
};

/** After the policy: the action offered for the customer's booking, as a question the next "yes" answers. */
export function offerAfterPolicy(topic: PolicyTopic, booking: string | null, locale: LocaleCode): string {
  if (!booking) return '';
  if (topic === 'cancel' || topic === 'miss') return say(locale, 'policy_offer_cancel', { booking });
  if (topic === 'reschedule' || topic === 'late') return say(locale, 'policy_offer_move', { booking });
  return '';
}

/** The agent's own offer to cancel, so that "yes" cancels. */
export const CANCEL_OFFER = /Would you like me to cancel it\?|Kya main use cancel kar doon\?/;
