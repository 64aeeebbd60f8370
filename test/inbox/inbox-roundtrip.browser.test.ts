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
import { forEachStorage } from '../support/harness.ts';

/**
 * Settings that save what they show (issue 62): every automation condition operator and action,
 * macros, SLA policies, the handoff policy and CSAT settings, made through the API, opened in
 * their forms in Chromium and saved unchanged, stay exactly as stored; a change made in a form
 * (a closed list chosen, an "Or" row added) is stored as meant.
 */
forEachStorage('settings round-trip in a real browser', (storage) => {
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
    await signIn(page, world, world.admin, '/app');
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await world.app.call(method, path, { key: world.key, body });
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
    return r.body;
  };
  /** What a save may change: the time of the last change. */
  const stored = async (path: string) => {
    const { updated_at: _, ...rest } = await call('GET', path);
    return rest;
  };
  const openManage = async (section: string) => {
    await page.goto(`${world.url}/app/manage/${section}`);
    await page.getByRole('navigation', { name: 'Manage' }).waitFor();
  };
  /** Opens the item's form from its card, saves it as shown, and waits for the list again. */
  const saveUnchanged = async (noun: string, name: string) => {
    await page
      .getByRole('article', { name: `${noun} ${name}` })
      .getByRole('button', { name: 'Edit' })
      .click();
    const form = page.getByRole('form', { name: `Edit ${noun} ${name}` });
    await form.waitFor();
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('article', { name: `${noun} ${name}` }).waitFor();
  };

  it('automations with every operator and action, and macros, save unchanged', async () => {
    const team = await call('POST', '/v1/teams', { name: 'Front desk' });
    const canned = await call('POST', '/v1/canned-responses', {
      short_code: 'thanks',
      title: 'Thanks',
      content: 'Thanks {{contact.name|there}}!',
    });
    const actions = [
      { type: 'assign_team', team_id: team.id },
      { type: 'assign_user', user_id: world.agent.id },
      { type: 'add_tags', tags: ['vip', 'refund'] },
      { type: 'remove_tags', tags: ['new'] },
      { type: 'set_priority', priority: 'urgent' },
      { type: 'send_canned', canned_response_id: canned.id },
      {
        type: 'send_template',
        template: { name: 'order_update', language: 'en_US', variables: { '1': 'GF-77341' } },
      },
      { type: 'handoff', reason: 'refund asked' },
      { type: 'handoff' },
      { type: 'snooze', minutes: 90 },
      { type: 'add_note', text: 'Check the order first' },
      { type: 'webhook', url: 'https://example.com/hooks/parley' },
      { type: 'close' },
    ];
    const automation = await call('POST', '/v1/automations', {
      name: 'Every operator',
      event: 'message.received',
      conditions: [
        { field: 'channel', op: 'eq', value: 'whatsapp' },
        { field: 'priority', op: 'neq', value: 'low' },
        { field: 'text', op: 'contains', value: 'refund' },
        {
          any: [
            {
              field: 'text',
              op: 'contains_word',
              value: ['pain', 'bleeding', 'swollen', 'broken', 'emergency'],
            },
            { field: 'text', op: 'contains_word', value: 'water leaked' },
            { field: 'tags', op: 'in', value: ['vip', 'gold'] },
          ],
        },
        { any: [{ field: 'status', op: 'eq', value: 'active' }] },
        { field: 'contact.visits', op: 'gt', value: 3 },
        { field: 'contact.score', op: 'lt', value: '2026-01-01' },
        { field: 'contact.pincode', op: 'eq', value: '560001' },
        { field: 'contact.email', op: 'exists' },
        { field: 'contact.company', op: 'exists', value: false },
        { field: 'within_business_hours', op: 'eq', value: true },
      ],
      actions,
    });
    const macro = await call('POST', '/v1/macros', { name: 'Refund flow', actions });
    const before = {
      automation: await stored(`/v1/automations/${automation.id}`),
      macro: await stored(`/v1/macros/${macro.id}`),
    };

    await openManage('automations');
    await saveUnchanged('automation', 'Every operator');
    assert.deepEqual(await stored(`/v1/automations/${automation.id}`), before.automation);
    await openManage('macros');
    await saveUnchanged('macro', 'Refund flow');
    assert.deepEqual(await stored(`/v1/macros/${macro.id}`), before.macro);

    // Shown as it is: the operator "has the word" and the "Or" rows of the group.
    await openManage('automations');
    await page
      .getByRole('article', { name: 'automation Every operator' })
      .getByRole('button', { name: 'Edit' })
      .click();
    const form = page.getByRole('form', { name: 'Edit automation Every operator' });
    assert.equal(await form.getByLabel('Test (row 4)').inputValue(), 'contains_word');
    assert.equal(
      await form.getByLabel('Value (row 4)').inputValue(),
      'pain, bleeding, swollen, broken, emergency',
    );
    assert.equal(await form.getByLabel('Join (row 5)').inputValue(), 'or');
    assert.equal(await form.getByLabel('Test (row 12)').inputValue(), 'not_exists');
    // A closed list is chosen: the channel row's value is a select of the channel kinds.
    const channel = form.getByLabel('Value (row 1)');
    assert.equal(await channel.evaluate((el) => el.tagName), 'SELECT');
    await channel.selectOption('sms');
    // A new row joined by "Or" to the last one makes a group with it.
    await form.getByRole('button', { name: 'Add a condition' }).click();
    const last = (await form.getByLabel(/^Join \(row \d+\)$/).count()) as number;
    await form.getByLabel(`Join (row ${last})`).selectOption('or');
    await form.getByLabel(`Field (row ${last})`).fill('priority');
    await form.getByLabel(`Value (row ${last})`).selectOption('urgent');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    const changed = await stored(`/v1/automations/${automation.id}`);
    const conditions = before.automation.conditions as unknown[];
    assert.deepEqual(changed.conditions, [
      { field: 'channel', op: 'eq', value: 'sms' },
      ...conditions.slice(1, -1),
      {
        any: [
          { field: 'within_business_hours', op: 'eq', value: true },
          { field: 'priority', op: 'eq', value: 'urgent' },
        ],
      },
    ]);
    assert.deepEqual(changed.actions, before.automation.actions, 'the actions were not touched');
  });

  it('SLA policies, the handoff policy and CSAT settings save unchanged', async () => {
    const vip = await call('POST', '/v1/sla-policies', {
      name: 'WhatsApp VIP',
      first_response_minutes: 10,
      resolution_minutes: 240,
      business_hours: true,
      counts_ai_replies: true,
      applies_to: { channels: ['whatsapp', 'instagram'], tags: ['vip'], priorities: ['high', 'urgent'] },
    });
    const plain = await call('POST', '/v1/sla-policies', { name: 'Everyone', next_response_minutes: 60 });
    const team = await call('POST', '/v1/teams', { name: 'Escalations' });
    await call('PUT', '/v1/handoff-policy', {
      team_id: team.id,
      reply_within_minutes: 20,
      on_timeout: 'callback',
      max_reassignments: 4,
      urgent_to_person: false,
      out_of_hours: { message: 'We open at {{next_opening}}.', ai_continues: false },
      auto_resolve_after_minutes: 120,
    });
    await call('PUT', '/v1/csat/settings', { enabled: true, question: 'Rate us, 1 to 5?' });
    const before = {
      vip: await stored(`/v1/sla-policies/${vip.id}`),
      plain: await stored(`/v1/sla-policies/${plain.id}`),
      handoff: await stored('/v1/handoff-policy'),
      csat: await stored('/v1/csat/settings'),
    };

    await openManage('sla');
    await saveUnchanged('SLA policy', 'WhatsApp VIP');
    await saveUnchanged('SLA policy', 'Everyone');
    assert.deepEqual(await stored(`/v1/sla-policies/${vip.id}`), before.vip);
    assert.deepEqual(await stored(`/v1/sla-policies/${plain.id}`), before.plain);

    // Channels and priorities are checkboxes: unchecking one stores the rest.
    await page
      .getByRole('article', { name: 'SLA policy WhatsApp VIP' })
      .getByRole('button', { name: 'Edit' })
      .click();
    const form = page.getByRole('form', { name: 'Edit SLA policy WhatsApp VIP' });
    const channels = form.getByRole('group', { name: 'Channels' });
    assert.equal(await channels.getByRole('checkbox', { name: 'instagram' }).isChecked(), true);
    await channels.getByRole('checkbox', { name: 'instagram' }).uncheck();
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    assert.deepEqual((await stored(`/v1/sla-policies/${vip.id}`)).applies_to, {
      ...(before.vip.applies_to as object),
      channels: ['whatsapp'],
    });

    await openManage('handoff');
    const policy = page.getByRole('form', { name: 'Handoff policy' });
    await policy.waitFor();
    assert.equal(
      await policy.getByLabel('A conversation marked urgent goes to a person at once').isChecked(),
      false,
    );
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    assert.deepEqual(await stored('/v1/handoff-policy'), before.handoff);

    await openManage('csat');
    const csat = page.getByRole('form', { name: 'CSAT settings' });
    await csat.waitFor();
    await csat.getByRole('button', { name: 'Save CSAT settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    assert.deepEqual(await stored('/v1/csat/settings'), before.csat);
  });
});
