import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { Module } from '../../src/modules/module.ts';
import { type Storage, startTestApp, type TestApp } from './harness.ts';

/**
 * Browser tests drive Debian's Chromium through playwright-core (which downloads no browser).
 * `PARLEY_CHROMIUM` points elsewhere; without a Chromium the tests skip with this reason, except
 * under CI, where .ci/run installs it.
 */
export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumMissing = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set PARLEY_CHROMIUM)`;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * How long a page action or a locator's wait may take before it fails: 90 s instead of
 * playwright's 30, so a signal that comes late on a busy 2-core machine (four test processes and
 * their Chromiums) is still waited for. A wait that is met returns at once; only a real failure
 * takes the whole time.
 */
export const BROWSER_PATIENCE_MS = 90_000;

/** One Chromium; playwright gives it a fresh profile directory of its own, removed on close. */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  patient(browser);
  return { browser, close: () => browser.close() };
}

/** Gives every context (and so every page) the browser opens the patient default timeout. */
export function patient(browser: Browser): Browser {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    context.setDefaultTimeout(BROWSER_PATIENCE_MS);
    return context;
  };
  const newPage = browser.newPage.bind(browser);
  browser.newPage = async (options) => {
    const page = await newPage(options);
    page.context().setDefaultTimeout(BROWSER_PATIENCE_MS);
    return page;
  };
  return browser;
}

export interface InboxWorld {
  app: TestApp;
  url: string;
  key: string;
  admin: { id: string; email: string; password: string };
  agent: { id: string; email: string; password: string };
  close(): Promise<void>;
}

export const PASSWORD = 'correct horse battery';

/** A test app listening on a free port, with a test-mode workspace, an admin and an agent who can sign in. */
export async function startInboxWorld(
  storage: Storage,
  env: Record<string, string> = {},
  modules?: Module[],
): Promise<InboxWorld> {
  // Sandbox calls run on virtual time: a simulated call takes milliseconds, its events still stream.
  // The same two users sign in for every test: more than the 10 sign-ins per email in 15 minutes
  // that protect real accounts.
  const app = await startTestApp(storage, {
    env: {
      PARLEY_VOICE_SANDBOX_PACE: 'virtual',
      PARLEY_LOGIN_MAX_ATTEMPTS: '10000',
      PARLEY_LOGIN_MAX_ATTEMPTS_PER_CLIENT: '10000',
      ...env,
    },
    modules,
  });
  const url = await app.parley.app.listen({ port: 0, host: '127.0.0.1' });
  const ws = await app.workspace({ default_country: 'IN' });
  const user = async (name: string, role: 'admin' | 'agent') => {
    const email = `${role}-${Math.random().toString(36).slice(2, 8)}@glowsalon.in`;
    const res = await app.call('POST', '/v1/users', {
      key: ws.test,
      body: { name, email, role, password: PASSWORD },
    });
    if (res.status !== 201) throw new Error(`user: ${res.status} ${res.text}`);
    return { id: res.body.id as string, email, password: PASSWORD };
  };
  const admin = await user('Priya Admin', 'admin');
  const agent = await user('Arjun Agent', 'agent');
  return { app, url, key: ws.test, admin, agent, close: () => app.close() };
}

/** Signs in through the form, as a person would, and waits for the live connection. */
export async function signIn(
  page: Page,
  world: InboxWorld,
  who: { email: string; password: string },
  path = '/app',
) {
  await page.goto(`${world.url}${path}`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.conn[data-state=live]').waitFor();
}

export async function newPage(
  browser: Browser,
  options: { timezoneId?: string } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...options });
  const page = await context.newPage();
  return { context, page };
}
