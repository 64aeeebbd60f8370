import { voiceDefaults } from '../../agents/index.ts';

/**
 * Text helpers of the voice loop: what an agent's chat-style answer sounds like when spoken,
 * where sentences end (each goes to speech as soon as it is ready), and which short words are
 * backchannels rather than an attempt to take the turn.
 */

const currency: Array<[RegExp, string]> = [
  [/₹\s?([\d,]+(?:\.\d+)?)/g, '$1 rupees'],
  [/\bRs\.?\s?([\d,]+(?:\.\d+)?)/gi, '$1 rupees'],
  [/\bINR\s?([\d,]+(?:\.\d+)?)/g, '$1 rupees'],
  [/\$\s?([\d,]+(?:\.\d+)?)/g, '$1 dollars'],
  [/€\s?([\d,]+(?:\.\d+)?)/g, '$1 euros'],
  [/£\s?([\d,]+(?:\.\d+)?)/g, '$1 pounds'],
];

const weekdays: Record<string, string> = {
  Mon: 'Monday',
  Tue: 'Tuesday',
  Tues: 'Tuesday',
  Wed: 'Wednesday',
  Thu: 'Thursday',
  Thur: 'Thursday',
  Thurs: 'Thursday',
  Fri: 'Friday',
  Sat: 'Saturday',
  Sun: 'Sunday',
};

function spokenTime(h: number, m: number): string {
  const suffix = h >= 12 ? 'PM' : 'AM';
  const hour = h % 12 === 0 ? 12 : h % 12;
  return m === 0 ? `${hour} ${suffix}` : `${hour} ${String(m).padStart(2, '0')} ${suffix}`;
}

/**
 * The voice style: no markdown, no URLs read out character by character, amounts and clock times
 * as a person says them, one line.
 */
export function speakable(text: string): string {
  let out = text
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!\[[^\]]*\]\([^)]*\)/g, ' ')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/https?:\/\/[^\s)\]]+/g, 'the link we will send you')
    .replace(/^\s{0,3}#{1,6}\s+/gm, '')
    .replace(/^\s*(?:[-*•]|\d+[.)])\s+/gm, '')
    .replace(/(\*\*|__|\*|_|~~)(\S(?:[\s\S]*?\S)?)\1/g, '$2')
    .replace(/\|/g, ', ');
  for (const [re, to] of currency) out = out.replace(re, to);
  out = out
    .replace(
      /\b([01]?\d|2[0-3]):([0-5]\d)(?:\s*(?:hrs|h)\b)?(?!\d|\s*(?:am|pm|AM|PM))/g,
      (_, h: string, m: string) => spokenTime(Number(h), Number(m)),
    )
    // "Mon–Sat 10 AM–7 PM" as a person says it: "Monday to Saturday 10 AM to 7 PM".
    .replace(
      /\b(Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun)\b(?=\s*(?:[–—-]|,|;|:|\.|\s(?:to|and|closed|\d)|$))/g,
      (d) => weekdays[d] ?? d,
    )
    .replace(
      /(\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))\s*[–—-]\s*(?=(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b)/g,
      '$1 to ',
    )
    .replace(/(\d(?:\s*[AP]M)?)\s*[–—]\s*(?=\d)/g, '$1 to ')
    .replace(/(\d\s*[AP]M)\s*-\s*(?=\d)/g, '$1 to ')
    .replace(/(\d)\s*%/g, '$1 percent')
    .replace(/\s*&\s*/g, ' and ')
    .replace(/(\d),(\d{3})/g, '$1$2')
    .replace(/\s*\n+\s*/g, '. ')
    .replace(/\.{2,}/g, '.')
    .replace(/([.!?])\s*\./g, '$1')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return out;
}

/** Splits an answer into sentences (on . ? ! and the Devanagari danda), long ones at a comma near 120 chars. */
export function sentences(text: string): string[] {
  const parts = text.match(/[^.?!।]+(?:[.?!।]+|$)/g) ?? [];
  const out: string[] = [];
  for (const raw of parts) {
    let s = raw.trim();
    while (s.length > 160) {
      const cut = Math.max(s.lastIndexOf(', ', 120), s.lastIndexOf(' ', 120));
      const at = cut > 40 ? cut + 1 : 120;
      out.push(s.slice(0, at).trim());
      s = s.slice(at).trim();
    }
    if (s) out.push(s);
  }
  return out;
}

/** Backchannels in English and Hinglish: said while the agent talks, they do not take the turn. */
export const defaultBackchannels = voiceDefaults.backchannels;

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s'-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** True when everything said is backchannel words (at most four of them). */
export function isBackchannel(text: string, words: string[] = defaultBackchannels): boolean {
  const said = norm(text);
  if (!said) return true;
  const list = words
    .map(norm)
    .filter(Boolean)
    .sort((a, b) => b.length - a.length);
  let rest = ` ${said} `;
  let count = 0;
  for (const w of list) {
    const re = new RegExp(` ${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?= )`, 'g');
    rest = rest.replace(re, () => {
      count++;
      return ' ';
    });
  }
  return rest.trim() === '' && count <= 4;
}

/** Roughly how long a sentence takes to say (about 165 words a minute), for text-only speech. */
export function speakingMs(text: string): number {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  return Math.max(400, Math.round(words * 360));
}

/** The first `fraction` of a sentence's words (what a caller heard before cutting in). */
export function heardPart(text: string, fraction: number): string {
  if (fraction >= 1) return text;
  if (fraction <= 0) return '';
  const words = text.split(/\s+/).filter(Boolean);
  return words.slice(0, Math.floor(words.length * fraction)).join(' ');
}
