import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import {
  forEachStorage,
  openWindow,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Issue 33 item 6: every Parley example in docs/coming-from/*.md runs as written. Each `curl`
 * to `$API` in a code block is parsed (method, URL, headers, body) and sent with a test key as
 * `$KEY`; an id written `agt_...` (or `conv_...`) is a real object of that kind made here. A
 * comment line `# → 422 ...` just above a command is the status the guide says it gets;
 * otherwise it must succeed (2xx).
 */
const dir = new URL('../../docs/coming-from/', import.meta.url);
const guides = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');

interface Example {
  guide: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  expect: number | undefined;
  text: string;
}

/** Splits a shell command into words (single, double and $'...' quotes; backslash newlines). */
function shellWords(command: string): string[] {
  const words: string[] = [];
  const re = /\$'((?:[^'\\]|\\.)*)'|'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of command.replace(/\\\n/g, ' ').matchAll(re)) {
    if (m[1] !== undefined) words.push(m[1].replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\'/g, "'"));
    else if (m[2] !== undefined) words.push(m[2]);
    else if (m[3] !== undefined) words.push(m[3].replace(/\\(["\\$`])/g, '$1'));
    else words.push(m[4]!);
  }
  return words;
}

export function guideExamples(guide: string, markdown: string): Example[] {
  const out: Example[] = [];
  for (const block of markdown.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
    // Commands: a line starting `curl`, with its continuation lines (trailing backslash or an
    // open quote).
    const lines = block[1]!.split('\n');
    let expect: number | undefined;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const comment = /^#.*→\s*(\d{3})\b/.exec(line);
      if (comment) expect = Number(comment[1]);
      if (!line.startsWith('curl')) continue;
      let command = line;
      while ((/\\$/.test(command) || (command.split("'").length - 1) % 2 === 1) && i + 1 < lines.length)
        command += `\n${lines[++i]}`;
      const words = shellWords(command);
      let method = 'GET';
      let url = '';
      let body: string | undefined;
      const headers: Record<string, string> = {};
      for (let w = 1; w < words.length; w++) {
        const word = words[w]!;
        if (word === '-X' || word === '--request') method = words[++w]!;
        else if (word === '-H' || word === '--header') {
          const [name, ...rest] = words[++w]!.split(':');
          headers[name!.trim().toLowerCase()] = rest.join(':').trim();
        } else if (['-d', '--data', '--data-binary', '--data-raw'].includes(word)) {
          body = words[++w]!;
          if (method === 'GET') method = 'POST';
        } else if (word === '--url') url = words[++w]!;
        else if (!word.startsWith('-')) url = word;
      }
      if (url.startsWith('$API'))
        out.push({ guide, method, url: url.slice(4), headers, body, expect, text: command.split('\n')[0]! });
      expect = undefined;
    }
  }
  return out;
}

let seq = 0;
const phone = () => `+1415555${String(2000 + seq++).padStart(4, '0')}`;

forEachStorage('the coming-from guides run as written', (storage) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(storage);
  });
  after(() => t?.close());

  it('finds the Parley examples of every guide', () => {
    for (const guide of guides) {
      const examples = guideExamples(guide, readFileSync(new URL(guide, dir), 'utf8'));
      assert.ok(examples.length > 0, `${guide} has examples`);
    }
    // ConvoAI's "send as agent" to a number that never wrote: the 422, then the template form.
    const convo = guideExamples('convoai.md', readFileSync(new URL('convoai.md', dir), 'utf8'));
    const sends = convo.filter((e) => /\/v1\/agents\/[^/]+\/messages$/.test(e.url));
    assert.deepEqual(
      sends.map((e) => [e.expect, JSON.parse(e.body!).type]),
      [
        [422, 'text'],
        [201, 'template'],
      ],
    );
  });

  for (const guide of guides)
    it(`runs every example in ${guide}`, async () => {
      const ws: Workspace = await t.workspace();
      const ok = async (method: string, url: string, body?: unknown) => {
        const r = await t.call(method, url, { key: ws.test, body });
        assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${r.text}`);
        return r.body;
      };
      // The objects a reader already has when following the guide.
      const made: Record<string, () => Promise<string>> = {
        agt: async () => (await ok('POST', '/v1/agents', { name: 'Support agent' })).id,
        conv: async () => openWindow(t, ws.test, phone(), 'I was charged twice'),
      };
      const ids = new Map<string, string>();
      const failures: string[] = [];
      for (const ex of guideExamples(guide, readFileSync(new URL(guide, dir), 'utf8'))) {
        const real = async (text: string) => {
          let out = text;
          for (const m of text.matchAll(/\b([a-z]+)_\.\.\./g)) {
            if (!ids.has(m[1]!)) ids.set(m[1]!, await made[m[1]!]!());
            out = out.replace(m[0], ids.get(m[1]!)!);
          }
          return out;
        };
        const url = await real(ex.url);
        const payload = ex.body === undefined ? undefined : await real(ex.body);
        const headers = Object.fromEntries(
          Object.entries(ex.headers).map(([k, v]) => [k, v.replace('$KEY', ws.test)]),
        );
        const res = await t.call(ex.method, url, { headers, payload });
        const good = ex.expect ? res.status === ex.expect : res.status >= 200 && res.status < 300;
        if (!good)
          failures.push(
            `${ex.text} (expected ${ex.expect ?? '2xx'}): ${res.status} ${res.text.slice(0, 300)}`,
          );
      }
      assert.deepEqual(failures, []);
    });
});
