/**
 * Which test files run their `forEachStorage` suites on both storages and which run them once.
 *
 * The default is both: a file not named here runs on SQLite and on PostgreSQL, so a new test file
 * never loses the PostgreSQL half by accident. A file is named here only when nothing it checks
 * can differ by storage (a page's layout, a document, a codec, a protocol fake, a guard that
 * answers before any query), with the reason; its suites then run once, on SQLite. What those
 * files reach in the database (messages, calls, bookings, reports) is checked on both storages
 * by the files that own it, named in the reason where it is not obvious.
 *
 * `PARLEY_TEST_STORAGES=both` runs every file on both storages anyway (to check a change to this
 * list, or before a release); scripts/test.ts prints the plan and fails on a name here that is
 * no longer a test file.
 */
export const ONCE_ON_SQLITE: Readonly<Record<string, string>> = {
  // Browser tests: what the page shows and how it behaves; the API they call is tested on both.
  'test/inbox/inbox.browser.test.ts':
    'the inbox UI in Chromium (its API: inbox.test.ts, conversations.test.ts)',
  'test/inbox/inbox-mobile.browser.test.ts': 'page layout at phone and desktop widths',
  'test/inbox/inbox-teamops.browser.test.ts':
    'presence switch and SLA badges in the UI (routing.test.ts, sla.test.ts)',
  'test/inbox/inbox-teamtools.browser.test.ts':
    'team queue, canned responses, macros, CSAT in the UI (canned-responses, macros, csat tests)',
  'test/inbox/inbox-admin-teamops.browser.test.ts': 'admin pages and their form errors in the UI',
  'test/inbox/inbox-manage.browser.test.ts':
    'the Manage pages in the UI (keys, webhooks, users: their API tests run on both)',
  'test/reports/reports.browser.test.ts':
    'the Reports page, lazy loading and URL filters (figures: reports.test.ts)',
  'test/voice/web-call.browser.test.ts': 'the web-call page with a fake microphone (calls-media.test.ts)',
  // Documents: each example is checked to succeed as written; the routes are tested on both.
  'test/app/openapi-examples.test.ts': "openapi.json's request examples sent as written",
  'test/app/coming-from.test.ts': "docs/coming-from/*.md's curl examples run as written",
  // Speech: audio codecs and speech-engine protocols against local fakes.
  'test/voice/speech-engines.test.ts': 'Deepgram and ElevenLabs streaming protocols against fakes',
  'test/ai/builtin-speech.test.ts': 'espeak-ng and pocketsphinx in the app',
  'test/voice/openai-audio.test.ts': 'openai_compatible speech engines, audio framing',
  // Guards that answer before any query.
  'test/app/socket-hardening.test.ts': 'bad WebSocket frames (UTF-8, size, JSON) never end the process',
  'test/voice/public-url-warning.test.ts': 'a /readyz warning from the configuration',
  'test/knowledge/knowledge-ssrf.test.ts': 'the page fetcher refuses private addresses',
};

export type PlannedStorage = 'sqlite' | 'postgres';

/** The repository-relative path of a test file, as written in ONCE_ON_SQLITE. */
export function repoPath(fileOrUrl: string, root: string): string {
  const file = fileOrUrl.startsWith('file://') ? new URL(fileOrUrl).pathname : fileOrUrl;
  return file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
}

/** The storages a file's suites run on: both unless the file is named above (or the override is set). */
export function plannedStorages(path: string): PlannedStorage[] {
  if (process.env.PARLEY_TEST_STORAGES === 'both') return ['sqlite', 'postgres'];
  return Object.hasOwn(ONCE_ON_SQLITE, path) ? ['sqlite'] : ['sqlite', 'postgres'];
}
