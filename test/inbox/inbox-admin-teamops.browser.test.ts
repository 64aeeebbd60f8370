import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import {
  chromiumMissing,
  type InboxWorld,
  type LaunchedBrowser,
  launchChromium,
  newPage,
  signIn,
  startInboxWorld,
} from '../support/browser.ts';
import { eventually, forEachStorage } from '../support/harness.ts';

// The docs' screenshots are retaken with PARLEY_SCREENSHOTS=1; other runs leave the repo clean.
const SHOTS = process.env.PARLEY_SCREENSHOTS
  ? new URL('../../docs/screenshots/', import.meta.url)
  : pathToFileURL(`${mkdtempSync(join(tmpdir(), 'parley-shots-'))}/`);

/**
 * The team-operations admin pages, in Chromium: each lists, creates, edits and deletes through the
 * API, shows the API's validation errors beside the field they name, and only admins see them.
 */
forEachStorage('inbox team-operations admin pages in a real browser', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  let page: Page;
  before(async () => {
    [world, chrome] = await Promise.all([startInboxWorld(storage), launchChromium()]);
    ({ page } = await newPage(chrome.browser));
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await world.app.call(method, path, { key: world.key, body });
    assert.ok(r.status < 300, `${method} ${path}: ${r.text}`);
    return r.body;
  };
  /** The error shown beside the field labelled `label` in `form`. */
  const fieldError = (form: Locator, label: string) =>
    form
      .locator('.field')
      .filter({ has: page.getByLabel(label, { exact: true }) })
      .locator('.field-error');
  const open = async (section: string, title: string) => {
    await page.getByRole('navigation', { name: 'Manage' }).getByRole('link', { name: title }).click();
    await page.waitForURL(`**/app/manage/${section}`);
    await page.getByRole('heading', { name: title, level: 1 }).waitFor();
  };
  const shot = (name: string) => page.screenshot({ path: new URL(name, SHOTS).pathname });
  const dismissConfirms = () => page.once('dialog', (d) => d.accept());

  it('an agent gets no Manage link and a clear message on an admin page', async () => {
    await signIn(page, world, world.agent, '/app/manage/canned');
    await page.getByText('Only admins manage the workspace').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Manage' }).count(), 0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
  });

  it('canned responses: field errors, create, edit, delete', async () => {
    await signIn(page, world, world.admin, '/app/manage/keys');
    await open('canned', 'Canned responses');
    await page.getByRole('button', { name: 'New canned response' }).click();
    const form = page.getByRole('form', { name: 'New canned response' });
    await form.getByLabel('Short code').fill('open hours');
    await form.getByLabel('Title').fill('Opening hours');
    await form.getByLabel('Content').fill('Hi {{contact.nickname}}, we open at 10.');
    await form.getByRole('button', { name: 'Create canned response' }).click();
    await fieldError(form, 'Short code').waitFor();
    assert.match((await fieldError(form, 'Short code').textContent()) ?? '', /letters, digits/);
    await form.getByLabel('Short code').fill('hours');
    await form.getByRole('button', { name: 'Create canned response' }).click();
    await fieldError(form, 'Content')
      .getByText(/contact\.nickname/)
      .waitFor();
    assert.equal(await fieldError(form, 'Short code').count(), 0, 'the fixed field has no error left');
    await form.getByLabel('Content').fill('Hi {{contact.name}}, we open at 10.');
    await form.getByRole('button', { name: 'Create canned response' }).click();
    const row = page.getByRole('article', { name: 'canned response Opening hours' });
    await row.waitFor();
    await shot('manage-canned.png');
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit canned response Opening hours' });
    await edit.getByLabel('Title').fill('Our hours');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('article', { name: 'canned response Our hours' }).waitFor();
    const [saved] = (await call('GET', '/v1/canned-responses')).data;
    assert.equal(saved.title, 'Our hours');
    dismissConfirms();
    await page
      .getByRole('article', { name: 'canned response Our hours' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await eventually(async () =>
      (await call('GET', '/v1/canned-responses')).data.length === 0 ? true : null,
    );
    await page.getByText('No canned response yet.').waitFor();
  });

  it('macros: actions as rows; a bad action is shown in its row; create and delete', async () => {
    await open('macros', 'Macros');
    await page.getByRole('button', { name: 'New macro' }).click();
    const form = page.getByRole('form', { name: 'New macro' });
    await form.getByLabel('Name').fill('Refund');
    await form.getByLabel('With (row 1)').fill('refund');
    await form.getByRole('button', { name: 'Add an action' }).click();
    await form.getByLabel('Do (row 2)').selectOption('send_canned');
    await form.getByLabel('With (row 2)').fill('cr_01JD5Z8Q4X3N2M1K0H9G8F7E6D');
    await form.getByRole('button', { name: 'Create macro' }).click();
    await form
      .locator('#actions-1-error')
      .getByText(/canned_response_id: no canned response/)
      .waitFor();
    await form.getByLabel('Do (row 2)').selectOption('close');
    await form.getByRole('button', { name: 'Create macro' }).click();
    const row = page.getByRole('article', { name: 'macro Refund' });
    await row.getByText('add tags → close').waitFor();
    await shot('manage-macros.png');
    dismissConfirms();
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No macro yet.').waitFor();
  });

  it('automations: a loop is refused at Actions; create, switch off, delete', async () => {
    await open('automations', 'Automations');
    await page.getByRole('button', { name: 'New automation' }).click();
    const form = page.getByRole('form', { name: 'New automation' });
    await form.getByLabel('Name').fill('Escalate VIPs');
    await form.getByLabel('When').selectOption('conversation.escalated');
    await form.getByRole('button', { name: 'Add a condition' }).click();
    await form.getByLabel('Field (row 1)').fill('tags');
    await form.getByLabel('Test (row 1)').selectOption('eq');
    await form.getByLabel('Value (row 1)').fill('vip');
    await form.getByLabel('Do (row 1)').selectOption('handoff');
    await form.getByLabel('With (row 1)').fill('again');
    await form.getByRole('button', { name: 'Create automation' }).click();
    await form.locator('#actions-0-type-error').waitFor();
    assert.equal(await form.getByLabel('Do (row 1)').getAttribute('aria-invalid'), 'true');
    await form.getByLabel('Do (row 1)').selectOption('set_priority');
    // A closed list is chosen, not typed.
    await form.getByLabel('With (row 1)').selectOption('urgent');
    await form.getByRole('button', { name: 'Create automation' }).click();
    const row = page.getByRole('article', { name: 'automation Escalate VIPs' });
    await row.getByText('1 condition · set priority').waitFor();
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit automation Escalate VIPs' });
    await edit.getByLabel('Active').uncheck();
    await edit.getByRole('button', { name: 'Save' }).click();
    await row.getByText('inactive').waitFor();
    assert.equal((await call('GET', '/v1/automations')).data[0].active, false);
    await shot('manage-automations.png');
    dismissConfirms();
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No automation yet.').waitFor();
  });

  it('SLA policies: 0 minutes is refused beside its field; create, edit, delete', async () => {
    await open('sla', 'SLA policies');
    await page.getByRole('button', { name: 'New SLA policy' }).click();
    const form = page.getByRole('form', { name: 'New SLA policy' });
    await form.getByLabel('Name').fill('WhatsApp VIP');
    await form.getByLabel('First reply within').fill('0');
    await form.getByRole('group', { name: 'Channels' }).getByRole('checkbox', { name: 'whatsapp' }).check();
    await form.getByRole('button', { name: 'Create SLA policy' }).click();
    await fieldError(form, 'First reply within').waitFor();
    await form.getByLabel('First reply within').fill('15');
    await form.getByRole('button', { name: 'Create SLA policy' }).click();
    const row = page.getByRole('article', { name: 'SLA policy WhatsApp VIP' });
    await row.getByText('first reply 15 min').waitFor();
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit SLA policy WhatsApp VIP' });
    await edit.getByLabel('Resolve within').fill('1440');
    await edit.getByRole('button', { name: 'Save' }).click();
    await row.getByText('resolve 1440 min').waitFor();
    const [policy] = (await call('GET', '/v1/sla-policies')).data;
    assert.deepEqual(policy.applies_to.channels, ['whatsapp']);
    await shot('manage-sla.png');
    dismissConfirms();
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No SLA policy yet.').waitFor();
  });

  it('assignment rules: a team with its rule, edited and deleted', async () => {
    await open('assignment', 'Assignment rules');
    await page.getByRole('button', { name: 'New team' }).click();
    const form = page.getByRole('form', { name: 'New team' });
    await form.getByLabel('Team name').fill('Billing');
    await form.getByLabel('Assignment').selectOption('round_robin');
    await form.getByLabel('Most open conversations per member').fill('0');
    await form.getByRole('button', { name: 'Create team' }).click();
    await fieldError(form, 'Most open conversations per member').waitFor();
    await form.getByLabel('Most open conversations per member').fill('4');
    await form.getByRole('button', { name: 'Create team' }).click();
    const row = page.getByRole('article', { name: 'team Billing' });
    await row.getByText('at most 4 each').waitFor();
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit team Billing' });
    await edit.getByLabel('Assignment').selectOption('balanced');
    await edit.getByRole('button', { name: 'Save' }).click();
    await row.getByText('balanced').waitFor();
    const team = (await call('GET', '/v1/teams')).data.find((t: { name: string }) => t.name === 'Billing');
    assert.deepEqual(team.assignment, { mode: 'balanced', only_online: true, max_per_user: 4 });
    await shot('manage-assignment.png');
    dismissConfirms();
    await row.getByRole('button', { name: 'Delete' }).click();
    await eventually(async () => ((await row.count()) === 0 ? true : null));
  });

  it('the handoff policy: 0 minutes refused beside its field, then saved with a team', async () => {
    const team = await call('POST', '/v1/teams', { name: 'Support' });
    await open('handoff', 'Handoff policy');
    const form = page.getByRole('form', { name: 'Handoff policy' });
    await form.getByLabel('A person replies within (minutes)').fill('0');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await fieldError(form, 'A person replies within (minutes)').waitFor();
    await form.getByLabel('A person replies within (minutes)').fill('20');
    await form.getByLabel('Handoffs go to').selectOption(team.id);
    await form.getByLabel('When nobody replies in time').selectOption('ai_resume');
    await form
      .getByLabel('Out-of-hours message')
      .fill('We are closed; a person answers at {{next_opening}}.');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Saved. It applies to handoffs from now on.').waitFor();
    const policy = await call('GET', '/v1/handoff-policy');
    assert.equal(policy.team_id, team.id);
    assert.equal(policy.reply_within_minutes, 20);
    assert.equal(policy.on_timeout, 'ai_resume');
    assert.equal(policy.out_of_hours.message, 'We are closed; a person answers at {{next_opening}}.');
    await shot('manage-handoff.png');
  });

  it('CSAT settings: switched on with a question', async () => {
    await open('csat', 'CSAT');
    const form = page.getByRole('form', { name: 'CSAT settings' });
    await form.getByLabel('Ask customers to rate the conversation when it is resolved').check();
    await form.getByLabel('Question').fill('How was your visit?');
    await form.getByRole('button', { name: 'Save CSAT settings' }).click();
    await page.getByText('Saved.', { exact: true }).waitFor();
    const s = await call('GET', '/v1/csat/settings');
    assert.equal(s.csat.enabled, true);
    assert.equal(s.csat.question, 'How was your visit?');
    await shot('manage-csat.png');
  });
});
