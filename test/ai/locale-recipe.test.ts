import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { it } from 'node:test';
import { locales, localesDir, READER_FIELDS } from '../../src/modules/ai/locale.ts';
import { replyContent } from '../../src/modules/ai/reply-content.ts';

/**
 * docs/agent.md's "add a language" recipe, kept true: a language is a folder under
 * src/modules/ai/locales/ (its reader's data, intent examples and replies) and nothing else. Every
 * folder carries the whole reader, its replies fit where they are sent, and the engine's code names
 * no word of a language that came by its folder alone (Tamil, Bengali).
 */
const folders = readdirSync(localesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

it('every language folder holds locale.json with the whole reader, intents.json and replies.json', () => {
  assert.ok(folders.includes('ta') && folders.includes('bn'), folders.join(', '));
  for (const name of folders) {
    const dir = new URL(`${name}/`, localesDir);
    const meta = JSON.parse(readFileSync(new URL('locale.json', dir), 'utf8'));
    const missing = READER_FIELDS.filter((f) => meta[f] === undefined);
    assert.deepEqual(missing, [], `${name}/locale.json lacks ${missing.join(', ')}`);
    const intents = JSON.parse(readFileSync(new URL('intents.json', dir), 'utf8'));
    assert.ok(Object.keys(intents).length > 0, `${name}/intents.json has intent examples`);
    assert.ok(locales.has(meta.code), `${name} is loaded as ${meta.code}`);
  }
});

it("each language's replies fit WhatsApp: the free times' list button within 20 characters", () => {
  for (const [code, locale] of locales) {
    const button = locale.replies.choose_time;
    if (button !== undefined) assert.ok(Array.from(button).length <= 20, `${code}: "${button}"`);
  }
  // A catalogue's longer button would be refused by WhatsApp: the reply goes as text instead.
  const slot = { start_at: '2026-11-27T11:30:00.000Z', end_at: '2026-11-27T12:15:00.000Z' };
  const offered = { actions: [{ type: 'booking_proposed' as const, data: { slots: [slot] } }] };
  const list = replyContent(offered, 'Book it?', 'whatsapp', 'Asia/Kolkata', 'en');
  assert.equal(list.type, 'interactive');
  const long = { ...locales.get('en')!.replies };
  (locales.get('en')!.replies as Record<string, string>).choose_time = 'Choose one of the free times';
  try {
    assert.equal(replyContent(offered, 'Book it?', 'whatsapp', 'Asia/Kolkata', 'en').type, 'text');
  } finally {
    (locales.get('en')!.replies as Record<string, string>).choose_time = long.choose_time!;
  }
});

it('the engine names no Tamil or Bengali word outside their folders', () => {
  const src = new URL('../../src/modules/ai/', import.meta.url);
  const files = readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => `${e.parentPath}/${e.name}`)
    .filter((p) => !p.includes('/locales/'));
  assert.ok(files.length > 20);
  for (const file of files) {
    // Comments may show what a folder's data holds; the code names none of it.
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    assert.doesNotMatch(text, /[\p{Script=Tamil}\p{Script=Bengali}]/u, file);
  }
});
