/**
 * The reply of a JSON answer still being streamed, as far as it can be spoken: only once the
 * `action` is known and is one whose words the action cannot change (a booking the calendar
 * refuses replaces the reply, so `book`, `reschedule`, `cancel` and `tool` wait for the end).
 */
const SPOKEN_EARLY = new Set(['answer', 'handoff', 'capture_lead', 'end_call', 'transfer']);

export function replySoFar(text: string): string | null {
  const action = /"action"\s*:\s*(?:\{\s*"type"\s*:\s*)?"([a-z_]+)"/.exec(text);
  if (!action || !SPOKEN_EARLY.has(action[1]!)) return null;
  const start = /"reply"\s*:\s*"/.exec(text);
  if (!start) return null;
  return decodeOpenString(text.slice(start.index + start[0].length));
}

const escapes: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '',
  b: '',
  f: '',
  '"': '"',
  '\\': '\\',
  '/': '/',
};

/** A JSON string's characters up to its closing quote or the end of what has arrived. */
function decodeOpenString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return out;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[i + 1];
    if (e === undefined) return out;
    if (e === 'u') {
      const hex = s.slice(i + 2, i + 6);
      if (hex.length < 4) return out;
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 5;
      continue;
    }
    out += escapes[e] ?? e;
    i++;
  }
  return out;
}
