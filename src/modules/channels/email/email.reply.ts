import EmailReplyParser from 'email-reply-parser';

/** Only the head of a long email is read for its reply: the reply is at the top. */
const HEAD_CHARS = 64 * 1024;
/**
 * The parser's regular expressions take time quadratic in a line's length (a line of 8,000 `>`
 * took 330 ms, 700,000 never finished): longer lines are read as their first LINE_CHARS
 * characters and put back whole afterwards.
 */
const LINE_CHARS = 400;

/** An Outlook-style header block of the quoted message ("From: …" then "Sent:"/"Date:" lines). */
const OUTLOOK_FROM = /^[ \t>]*[*_]{0,2}(From|De|Von|Van|Da)[*_]{0,2}:[*_]{0,2}[ \t]+\S.*$/im;
const OUTLOOK_NEXT = /^[ \t>]*[*_]{0,2}(Sent|Date|Envoyé|Gesendet|Enviado|Verzonden|Inviato)[*_]{0,2}:/im;
const SEPARATOR_ABOVE = /(\n[ \t]*(-{3,}|_{3,})[^\n]*)?\s*$/;

/**
 * Quote headers the parser does not know (its only Russian one is Wednesday's "ср, … г. в …").
 * Gmail for Android: "Пт, 20 нояб. 2026 г., 14:05 Имя <a@b.c>:"; Gmail on the web "пт, 20 нояб.
 * 2026 г. в 14:05, Имя <a@b.c>:"; Mail.ru "Пятница, 20 ноября 2026, 14:05 +03:00 от Имя <a@b.c>:";
 * Yandex and Apple Mail end with "написал(а):" or "пишет:". A client may wrap the header onto a
 * second line (before the address, as a long line wraps).
 */
const QUOTE_HEADERS: RegExp[] = [
  // Any language: a year and a time, then the sender's <address> and ":" closing the line.
  /^[^\n]*\d{4}[^\n]*\d{1,2}:\d{2}[^\n]*(?:\n[^\n]*)?<[^>\n]+@[^>\n]+>[ \t]*:[ \t]*$/mu,
  // ru: "… написал(а):" / "пишет:" on a line that names a year or an address.
  /^[^\n]*(?:\d{4}|@)[^\n]*(?:\n[^\n]*)?(?:написал(?:\(а\)|а)?|пишет)[ \t]*:[ \t]*$/imu,
];

/**
 * What the customer wrote in an email reply: the quoted thread ("On … wrote:" and its "> " lines,
 * an Outlook header block and what follows it, the quote headers of `QUOTE_HEADERS`) and the signature ("-- ", "Sent from my iPhone")
 * left out, by `email-reply-parser` (crisp-oss, the port of GitHub's parser). The whole text when
 * nothing would remain, or nothing was left out.
 */
export function visibleReply(text: string): string {
  const normal = text.replace(/\r\n?/g, '\n');
  let head = normal.length > HEAD_CHARS ? normal.slice(0, normal.lastIndexOf('\n', HEAD_CHARS) + 1) : normal;
  if (!head) head = normal.slice(0, HEAD_CHARS);
  const long = new Map<string, string>();
  const shortened = head
    .split('\n')
    .map((line, i) => {
      if (line.length <= LINE_CHARS) return line;
      const key = `\u2063${i}\u2063`;
      long.set(key, line);
      return line.slice(0, LINE_CHARS) + key;
    })
    .join('\n');
  let visible = new EmailReplyParser().read(shortened).getVisibleText();
  for (const [key, line] of long) {
    const at = visible.indexOf(key);
    if (at < 0) continue;
    const start = visible.lastIndexOf('\n', at) + 1;
    visible = visible.slice(0, start) + line.trimStart() + visible.slice(at + key.length);
  }
  visible = cutQuoteHeader(cutOutlookHeader(visible)).trim();
  if (!visible) return normal;
  // Nothing left out of the head: the whole text stands (a long message without quotes).
  if (head.length < normal.length && visible === head.trim()) return normal;
  return visible;
}

/** The text above an Outlook header block, with the separator line above the block dropped. */
function cutOutlookHeader(text: string): string {
  const from = OUTLOOK_FROM.exec(text);
  if (!from) return text;
  const after = text
    .slice(from.index + from[0].length)
    .split('\n')
    .slice(1, 4)
    .join('\n');
  if (!OUTLOOK_NEXT.test(after)) return text;
  return text.slice(0, from.index).replace(SEPARATOR_ABOVE, '');
}

/** The text above the first quote header of `QUOTE_HEADERS` (the quote itself is gone by then). */
function cutQuoteHeader(text: string): string {
  let cut = text.length;
  for (const header of QUOTE_HEADERS) {
    const at = header.exec(text)?.index;
    if (at !== undefined && at < cut) cut = at;
  }
  return text.slice(0, cut);
}
