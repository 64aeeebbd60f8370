/**
 * A message asking several things at once ("how much is a cleaning, do you take insurance and are
 * you open on Saturday?") as its questions, so that each gets its answer. A part is a question
 * when it ends with "?" or starts with a word that opens one; parts are cut at "?" and at "and",
 * "also", "," or ";" before such a word. One question (or none): the message as it is.
 */
const openers = new Set(
  (
    'do does did can could is are was will would should shall may what whats which when where how who why any ' +
    'kya kab kahan kaise kitna kitne kitni kaun'
  ).split(' '),
);

const cut = /\?+\s*|[,;]\s*(?:and\s+|also\s+|aur\s+)?|\s+(?:and|also|aur|plus)\s+(?:also\s+)?/gi;

export function questionsIn(text: string): string[] {
  const pieces: string[] = [];
  let last = 0;
  for (const m of text.matchAll(cut)) {
    const end = (m.index ?? 0) + m[0].length;
    const next =
      text
        .slice(end)
        .trimStart()
        .split(/\s+/)[0]
        ?.toLowerCase()
        .replace(/[^a-z']/g, '') ?? '';
    // Cut only where a question starts ("…and do you…"), never inside one ("cuts and colours").
    if (m[0].includes('?') || openers.has(next)) {
      pieces.push(text.slice(last, m.index) + (m[0].includes('?') ? '?' : ''));
      last = end;
    }
  }
  pieces.push(text.slice(last));
  const parts = pieces
    .map((p) =>
      p
        .replace(/^[\s,;]*(and|also|aur|plus)?\s*/i, '')
        .replace(/[\s,;]+$/, '')
        .trim(),
    )
    .filter((p) => /[\p{L}]{2,}/u.test(p));
  const asking = parts.filter(
    (p) =>
      p.endsWith('?') ||
      openers.has(
        p
          .split(/\s+/)[0]
          .toLowerCase()
          .replace(/[^a-z']/g, ''),
      ),
  );
  return asking.length >= 2 && asking.length === parts.length ? parts : [text];
}
