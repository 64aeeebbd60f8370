/**
 * Splits a document into passages for retrieval: by headings and paragraphs, packed to about
 * 500–800 characters, never cutting a sentence when it can help it; one FAQ pair per chunk.
 */
export interface Chunk {
  /** The nearest heading (or the document title), shown with the passage. */
  title: string;
  text: string;
}

export interface FaqPair {
  question: string;
  answer: string;
}

const TARGET = 650;
const MAX = 800;

/** Reads "Q: ... A: ..." pairs (also "Question:/Answer:"; a blank line separates pairs). */
export function parseFaqText(content: string): FaqPair[] {
  const pairs: FaqPair[] = [];
  const re =
    /(?:^|\n)\s*(?:Q|Question)\s*[:.)-]\s*([\s\S]*?)\n\s*(?:A|Answer)\s*[:.)-]\s*([\s\S]*?)(?=\n\s*(?:Q|Question)\s*[:.)-]|$)/gi;
  for (const m of content.matchAll(re)) {
    const question = m[1].trim();
    const answer = m[2].trim();
    if (question && answer) pairs.push({ question, answer });
  }
  return pairs;
}

export function faqChunks(pairs: FaqPair[]): Chunk[] {
  return pairs.map((p) => ({ title: p.question, text: `Q: ${p.question}\nA: ${p.answer}` }));
}

/** Separates the levels of a passage's title: document title, then its headings. */
export const TITLE_SEPARATOR = ' › ';

/**
 * Markdown and plain text: sections by heading, then paragraphs packed to the target size. A
 * passage's title is its headings ("Courses › NEET 1 year programme: 120000 rupees"), so the
 * facts a heading carries stay with the passage for search and answers; text before the first
 * heading is titled by the document. (The document title is not repeated in every passage's
 * title: indexed in all of them, its words would match every passage of a large document.)
 */
export function textChunks(title: string, content: string): Chunk[] {
  return splitSections(title, content).flatMap(packSection);
}

interface Section {
  heading: string;
  body: string[];
}

/** Lines grouped under their headings; a section's heading is the breadcrumb of headings above it. */
function splitSections(title: string, content: string): Section[] {
  const sections: Section[] = [{ heading: title, body: [] }];
  const stack: Array<{ level: number; text: string }> = [];
  for (const line of content.replace(/\r\n?/g, '\n').split('\n')) {
    const h = /^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (h) {
      while (stack.length && stack[stack.length - 1].level >= h[1].length) stack.pop();
      stack.push({ level: h[1].length, text: h[2] });
      sections.push({ heading: breadcrumb(stack.map((s) => s.text)) || title, body: [] });
    } else sections[sections.length - 1].body.push(line);
  }
  return sections;
}

/** A section's paragraphs packed into passages of about the target size, none over the maximum. */
function packSection(s: Section): Chunk[] {
  const chunks: Chunk[] = [];
  const paragraphs = s.body
    .join('\n')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/[ \t]+/g, ' ').trim())
    .filter(Boolean);
  let current = '';
  const flush = () => {
    if (current.trim()) chunks.push({ title: s.heading, text: current.trim() });
    current = '';
  };
  for (const piece of paragraphs.flatMap(splitLong)) {
    if (current && current.length + piece.length + 2 > MAX) flush();
    current = current ? `${current}\n\n${piece}` : piece;
    if (current.length >= TARGET) flush();
  }
  flush();
  return chunks;
}

/** A paragraph longer than the maximum is cut at sentence ends, then at spaces. */
function splitLong(p: string): string[] {
  if (p.length <= MAX) return [p];
  const out: string[] = [];
  let current = '';
  for (const sentence of p.split(/(?<=[.!?।])\s+/)) {
    const parts = sentence.length > MAX ? hardSplit(sentence) : [sentence];
    for (const s of parts) {
      if (current && current.length + s.length + 1 > MAX) {
        out.push(current);
        current = '';
      }
      current = current ? `${current} ${s}` : s;
    }
  }
  if (current) out.push(current);
  return out;
}

function hardSplit(s: string): string[] {
  const out: string[] = [];
  let rest = s;
  while (rest.length > MAX) {
    let cut = rest.lastIndexOf(' ', TARGET);
    if (cut < TARGET / 2) cut = TARGET;
    out.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) out.push(rest);
  return out;
}

/** The levels of a title, without one that repeats the level above it ("Menu › Menu › Thali"). */
function breadcrumb(levels: string[]): string {
  const out: string[] = [];
  for (const l of levels.map((x) => x.trim()).filter(Boolean))
    if (out.length === 0 || out[out.length - 1].toLowerCase() !== l.toLowerCase()) out.push(l);
  return out.join(TITLE_SEPARATOR);
}
