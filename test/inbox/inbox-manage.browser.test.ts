import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
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

/**
 * The Manage pages written with admin-kit.js's list, action and secret helpers (API keys,
 * webhooks, AI agents, knowledge, templates, users and teams, campaigns), in Chromium: each
 * creates, changes and deletes through the API, says the API's refusal, and shows a secret once.
 */
forEachStorage('inbox manage pages in a real browser', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  let page: Page;
  const pageErrors: string[] = [];
  before(async () => {
    [world, chrome] = await Promise.all([startInboxWorld(storage), launchChromium()]);
    ({ page } = await newPage(chrome.browser));
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await signIn(page, world, world.admin, '/app/manage/keys');
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
  });
  type Item = Record<string, any>;
  const get = async (path: string): Promise<Item & { data: Item[] }> => {
    const r = await world.app.call('GET', path, { key: world.key });
    assert.equal(r.status, 200, `GET ${path}: ${r.text}`);
    return r.body;
  };
  const open = async (section: string, title: string) => {
    await page.getByRole('navigation', { name: 'Manage' }).getByRole('link', { name: title }).click();
    await page.waitForURL(`**/app/manage/${section}`);
    await page.getByRole('heading', { name: title, level: 1 }).waitFor();
  };
  const acceptConfirm = () => page.once('dialog', (d) => d.accept());

  it('API keys: a refused scope is said, a new key is shown once, then revoked', async () => {
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    const form = page.getByRole('form', { name: 'Create an API key' });
    await form.getByLabel('Name').fill('CRM sync');
    await form.getByLabel('Scopes (optional)').fill('no-such-scope');
    await form.getByRole('button', { name: 'Create key' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    assert.match((await refusal.textContent()) ?? '', /scopes/);
    assert.equal(
      (await get('/v1/api-keys?per_page=100')).data.filter((k) => k.name === 'CRM sync').length,
      0,
    );

    await form.getByLabel('Scopes (optional)').fill('');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('secret').textContent()) ?? '';
    const key = (await get('/v1/api-keys?per_page=100')).data.find((k) => k.name === 'CRM sync');
    assert.ok(key, 'the key is created');
    assert.ok(secret.startsWith(key.prefix), `the secret shown (${secret.slice(0, 12)}…) is the key's`);
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByTestId('secret').count(), 0);

    acceptConfirm();
    await page.getByRole('button', { name: 'Revoke CRM sync' }).click();
    await page.getByRole('cell', { name: /^revoked/ }).waitFor();
    await eventually(async () => {
      const now = (await get('/v1/api-keys?per_page=100')).data.find((k) => k.id === key.id);
      assert.ok(now?.revoked_at, 'revoked through the API');
      return true;
    });
  });

  it('webhooks: created with its secret shown once, disabled, deleted', async () => {
    await open('webhooks', 'Webhooks');
    const form = page.getByRole('form', { name: 'Create a webhook' });
    await form.getByLabel('URL').fill('https://hooks.example.com/parley');
    await form.getByLabel('Events (default all)').fill('message.received conversation.escalated');
    await form.getByRole('button', { name: 'Create webhook' }).click();
    assert.match((await page.getByTestId('secret').textContent()) ?? '', /\S{16,}/);
    await page.getByRole('button', { name: 'Done' }).click();
    const [hook] = (await get('/v1/webhooks?per_page=100')).data;
    assert.deepEqual(hook.events, ['message.received', 'conversation.escalated']);

    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    assert.equal((await get(`/v1/webhooks/${hook.id}`)).status, 'disabled');

    acceptConfirm();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('cell', { name: 'https://hooks.example.com/parley' }).waitFor({ state: 'detached' });
    assert.equal((await get('/v1/webhooks?per_page=100')).data.length, 0);
  });

  it('AI agents and knowledge: an agent created, paused, and given a document', async () => {
    await open('agents', 'AI agents');
    const form = page.getByRole('form', { name: 'Create an AI agent' });
    await form.getByLabel('Name').fill('Front desk AI');
    await form.getByRole('button', { name: 'Create agent' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Front desk AI' });
    await row.getByRole('button', { name: 'Pause' }).click();
    await row.getByRole('button', { name: 'Resume' }).waitFor();
    const agent = (await get('/v1/agents?per_page=100')).data.find((a) => a.name === 'Front desk AI');
    assert.ok(agent, 'the agent is created');
    assert.equal(agent.status, 'paused');

    await open('knowledge', 'Knowledge');
    await page.getByLabel('Agent').selectOption({ label: 'Front desk AI' });
    const add = page.getByRole('form', { name: 'Add a knowledge document' });
    await add.getByLabel('Title').fill('Opening hours');
    await add.getByLabel('Content').fill('We open at 10 and close at 19, Sundays closed.');
    await add.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('cell', { name: 'Opening hours' }).waitFor();
    const docs = (await get(`/v1/agents/${agent.id}/knowledge?per_page=100`)).data;
    assert.deepEqual(
      docs.map((d) => d.title),
      ['Opening hours'],
    );
  });

  it('templates: created and deleted', async () => {
    await open('templates', 'Templates');
    const form = page.getByRole('form', { name: 'Create a template' });
    await form.getByLabel('Name').fill('visit_reminder');
    await form.getByLabel('Body').fill('Hi {{1}}, see you on {{2}}.');
    await form.getByRole('button', { name: 'Create template' }).click();
    await page.getByRole('cell', { name: 'visit_reminder' }).waitFor();
    assert.equal((await get('/v1/templates?per_page=100')).data[0].body, 'Hi {{1}}, see you on {{2}}.');
    acceptConfirm();
    await page
      .getByRole('row')
      .filter({ hasText: 'visit_reminder' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.getByRole('cell', { name: 'visit_reminder' }).waitFor({ state: 'detached' });
    assert.equal((await get('/v1/templates?per_page=100')).data.length, 0);
  });

  it('users and teams: a user added and made admin, a team given and relieved of a member', async () => {
    await open('users', 'Users and teams');
    const form = page.getByRole('form', { name: 'Add a user' });
    await form.getByLabel('Name').fill('Meera Nurse');
    await form.getByLabel('Email').fill('meera@example.com');
    await form.getByLabel('Password').fill('a long enough password');
    await form.getByRole('button', { name: 'Add user' }).click();
    await page.getByLabel('Role of Meera Nurse').selectOption('admin');
    await eventually(async () => {
      const meera = (await get('/v1/users?per_page=100')).data.find((u) => u.email === 'meera@example.com');
      assert.equal(meera?.role, 'admin');
      return true;
    });
    const meera = (await get('/v1/users?per_page=100')).data.find((u) => u.email === 'meera@example.com');

    const teamForm = page.getByRole('form', { name: 'Create a team' });
    await teamForm.getByLabel('Team name').fill('Front desk');
    await teamForm.getByRole('button', { name: 'Create team' }).click();
    await page.getByLabel('Add a member to Front desk').selectOption({ label: 'Meera Nurse' });
    const remove = page.getByRole('button', { name: 'Remove Meera Nurse from Front desk' });
    await remove.waitFor();
    const team = (await get('/v1/teams?per_page=100')).data.find((t) => t.name === 'Front desk');
    assert.ok(team && meera, 'the team and the user exist');
    assert.deepEqual(
      (await get(`/v1/users?team_id=${team.id}`)).data.map((u) => u.id),
      [meera.id],
    );
    await remove.click();
    await remove.waitFor({ state: 'detached' });
    assert.equal((await get(`/v1/users?team_id=${team.id}`)).data.length, 0);
  });

  it('roles: one defined in the editor (built-ins fixed) is given to a user in the role picker', async () => {
    await open('roles', 'Roles');
    const admin = page.getByRole('article', { name: 'role admin' });
    await admin.waitFor();
    assert.equal(await admin.getByRole('button', { name: 'Edit' }).count(), 0, 'a built-in is not editable');
    await page.getByRole('button', { name: 'New role' }).click();
    const form = page.getByRole('form', { name: 'New role' });
    await form.getByLabel('Name').fill('Partner support');
    await form.getByLabel('Sees').selectOption('team');
    await form.getByLabel('Mask customers’ phone numbers and emails').check();
    await form.getByRole('button', { name: 'Create role' }).click();
    const card = page.getByRole('article', { name: 'role Partner support' });
    await card.waitFor();
    assert.match((await card.textContent()) ?? '', /teams’ conversations · contact details masked/);
    const role = (await get('/v1/roles?per_page=100')).data.find((r) => r.name === 'Partner support');
    assert.equal(role?.visibility, 'team');
    assert.equal(role?.mask_contact_details, true);
    assert.deepEqual(role?.permissions, [
      'conversations:*',
      'messages:*',
      'contacts:read',
      'users:read',
      'teams:read',
      'events:read',
    ]);

    await open('users', 'Users and teams');
    await page.getByLabel('Role of Meera Nurse').selectOption({ label: 'Partner support' });
    await eventually(async () => {
      const meera = (await get('/v1/users?per_page=100')).data.find((u) => u.email === 'meera@example.com');
      assert.equal(meera?.role, role.id);
      return true;
    });
  });

  it('campaigns: an empty workspace says how to create one, and no page threw', async () => {
    await open('campaigns', 'Campaigns');
    await page.getByText('No campaign yet.').waitFor();
    assert.deepEqual(pageErrors, []);
  });
});
