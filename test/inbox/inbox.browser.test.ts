import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { SignJWT } from 'jose';
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
 * The inbox as a person uses it, in Debian's Chromium: every step goes through the page, and
 * every wait is for something on the screen (or a row through the API), never a fixed sleep.
 */
forEachStorage('inbox in a real browser', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  const pages: Page[] = [];
  before(async () => {
    [world, chrome] = await Promise.all([startInboxWorld(storage), launchChromium()]);
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
  });

  let phone = 9811000000 + Math.floor(Math.random() * 100_000);
  const nextPhone = () => `+91${++phone}`;
  const inbound = async (from: string, text: string) => {
    const r = await world.app.call('POST', '/v1/sandbox/inbound', { key: world.key, body: { from, text } });
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  };
  const open = async (who: 'admin' | 'agent', path = '/app') => {
    const { page } = await newPage(chrome.browser);
    pages.push(page);
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await signIn(page, world, world[who], path);
    return page;
  };
  const closePage = (page: Page) => page.context().close();

  it('signs in; a wrong password gets one generic message; a deep link opens after sign-in', async () => {
    const conv = await inbound(nextPhone(), 'Deep link please');
    const { page } = await newPage(chrome.browser);
    await page.goto(`${world.url}/app/c/${conv}`);
    await page.getByLabel('Email').fill(world.agent.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
    // An unknown email reads exactly the same.
    await page.getByLabel('Email').fill('nobody@glowsalon.in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 1);

    await page.getByLabel('Email').fill(world.agent.email);
    await page.getByLabel('Password').fill(world.agent.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.conn[data-state=live]').waitFor();
    assert.equal(new URL(page.url()).pathname, `/app/c/${conv}`);
    await page.locator('.bubble', { hasText: 'Deep link please' }).waitFor();
    // The token is kept for this tab only.
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem('parley.session'),
      local: Object.keys(localStorage).filter((k) => k.includes('session')),
    }));
    assert.ok(stored.session?.includes('"token"'));
    assert.deepEqual(stored.local, []);
    const token = JSON.parse(stored.session as string).token as string;
    assert.equal((await world.app.call('GET', '/v1/me', { key: token })).status, 200);
    // Sign out forgets it, and the server ends the session: the old token is refused.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Password').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('parley.session')), null);
    await eventually(async () => (await world.app.call('GET', '/v1/me', { key: token })).status === 401);
    await closePage(page);
  });

  it('shows a customer message live, marked unread, and in the open thread without a reload', async () => {
    const page = await open('agent');
    const from = nextPhone();
    const conv = await inbound(from, 'Namaste, do you do bridal makeup?');
    const card = page.locator(`.card[data-id="${conv}"]`);
    await card.filter({ hasText: 'Namaste, do you do bridal makeup?' }).waitFor();
    await card.locator('.unread-dot').waitFor();
    assert.match((await card.textContent()) ?? '', /Customer: Namaste/);
    assert.match(await page.title(), /^\(\d+\) Parley inbox$/);
    await card.click();
    await page.locator('.bubble.in', { hasText: 'bridal makeup' }).waitFor();
    assert.equal(await card.locator('.unread-dot').count(), 0);
    await inbound(from, 'And the price?');
    await page.locator('.bubble.in', { hasText: 'And the price?' }).waitFor();
    assert.equal(await page.locator('.bubble.in', { hasText: 'And the price?' }).count(), 1);
    await closePage(page);
  });

  it('a reply moves through its ticks: queued, sent, delivered, read', async () => {
    const conv = await inbound(nextPhone(), 'Can I book for 5 pm?');
    const page = await open('agent', `/app/c/${conv}`);
    await page.locator('.bubble.in', { hasText: 'Can I book for 5 pm?' }).waitFor();
    // Every status the bubble shows, in order, as the screen changes.
    // (Page scripts are strings: this project's TypeScript has no DOM types.)
    await page.evaluate(`
      window.seenStatuses = [];
      new MutationObserver(() => {
        const s = document.querySelector('.bubble.out[data-status]')?.getAttribute('data-status');
        if (s && window.seenStatuses.at(-1) !== s) window.seenStatuses.push(s);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
    `);
    const box = page.getByLabel('Reply on whatsapp');
    await box.fill('Yes, 5 pm is free. Shall I book it?');
    await box.press('Enter');
    const bubble = page.locator('.bubble.out', { hasText: 'Shall I book it?' });
    await bubble.locator('[aria-label=Read]').waitFor();
    assert.equal(await bubble.count(), 1);
    assert.equal(await box.inputValue(), '');
    const seen = (await page.evaluate('window.seenStatuses')) as string[];
    const order = ['queued', 'sent', 'delivered', 'read'];
    assert.equal(seen.at(-1), 'read');
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
      'statuses only move forward',
    );
    await closePage(page);
  });

  it('takes a conversation over from the AI and hands it back', async () => {
    const conv = await inbound(nextPhone(), 'I want to talk to a person');
    const page = await open('agent', `/app/c/${conv}`);
    await page.getByRole('button', { name: 'Take over' }).click();
    await page.getByRole('status').filter({ hasText: 'Handed off to people' }).waitFor();
    await page.locator('.system-line', { hasText: 'Handed off to people by Arjun Agent' }).waitFor();
    await page.getByRole('tab', { name: 'Handoffs' }).click();
    await page.locator(`.card[data-id="${conv}"]`).waitFor();
    const c = await world.app.call('GET', `/v1/conversations/${conv}`, { key: world.key });
    assert.equal(c.body.ai_paused, true);
    assert.deepEqual(c.body.assignee, { type: 'user', id: world.agent.id });

    await page.getByRole('button', { name: 'Hand back to AI' }).click();
    await page.locator('.system-line', { hasText: 'Handed back to the AI by Arjun Agent' }).waitFor();
    // It leaves the Handoffs view live.
    await page.locator(`.card[data-id="${conv}"]`).waitFor({ state: 'detached' });
    const events = await world.app.call(
      'GET',
      `/v1/events?object_id=${conv}&type=conversation.escalated,conversation.handoff_resolved`,
      { key: world.key },
    );
    assert.deepEqual(
      events.body.data.map((e: { event: string; actor: { type: string; id: string } }) => [
        e.event,
        e.actor.id,
      ]),
      [
        ['conversation.handoff_resolved', world.agent.id],
        ['conversation.escalated', world.agent.id],
      ],
    );
    await closePage(page);
  });

  it('offers approved templates when the WhatsApp window is closed, and sends one', async () => {
    const tpl = await world.app.call('POST', '/v1/templates', {
      key: world.key,
      body: {
        name: 'follow_up',
        language: 'en',
        category: 'utility',
        body: 'Hi {{1}}, your table is ready.',
      },
    });
    assert.equal(tpl.status, 201, tpl.text);
    // A business-initiated conversation: the customer never wrote, so the window is closed.
    const to = nextPhone();
    const first = await world.app.call('POST', '/v1/messages', {
      key: world.key,
      body: { to, template: { name: 'follow_up', language: 'en', variables: ['Asha'] } },
    });
    assert.equal(first.status, 201, first.text);
    const page = await open('agent', `/app/c/${first.body.conversation_id}`);
    await page.getByText('WhatsApp accepts only an approved template').waitFor();
    assert.equal(await page.getByLabel('Reply on whatsapp').count(), 0);
    await page.getByLabel('Template', { exact: true }).selectOption({ label: 'follow_up (en)' });
    await page.getByLabel('{{1}}').fill('Ravi');
    await page.getByRole('button', { name: 'Send template' }).click();
    await page.locator('.bubble.out', { hasText: 'Hi Ravi, your table is ready.' }).waitFor();
    const msgs = await world.app.call('GET', `/v1/conversations/${first.body.conversation_id}/messages`, {
      key: world.key,
    });
    assert.deepEqual(msgs.body.data.at(-1).template.variables, ['Ravi']);
    await closePage(page);
  });

  it('a template with a media header and a URL button placeholder is sent with a field for each', async () => {
    const tpl = await world.app.call('POST', '/v1/templates', {
      key: world.key,
      body: {
        name: 'order_shipped',
        language: 'en',
        category: 'utility',
        body: 'Your order {{1}} has shipped.',
        header: { type: 'image' },
        examples: { header_handle: '4::aW1hZ2UvanBlZw==:ARb' },
        buttons: [{ type: 'url', text: 'Track', url: 'https://track.example/t/{{1}}' }],
      },
    });
    assert.equal(tpl.status, 201, tpl.text);
    const first = await world.app.call('POST', '/v1/messages', {
      key: world.key,
      body: {
        to: nextPhone(),
        template: {
          name: 'order_shipped',
          language: 'en',
          variables: ['A-1000'],
          header: { media: { url: 'https://cdn.example/first.jpg' } },
          buttons: [{ index: 0, variables: ['A-1000'] }],
        },
      },
    });
    assert.equal(first.status, 201, first.text);
    const page = await open('agent', `/app/c/${first.body.conversation_id}`);
    await page.getByLabel('Template', { exact: true }).selectOption({ label: 'order_shipped (en)' });
    await page.getByLabel('Header image (URL)').fill('https://cdn.example/box.jpg');
    await page.getByLabel('{{1}}', { exact: true }).fill('A-1042');
    await page.getByLabel('Button “Track” {{1}}').fill('A-1042');
    await page.getByRole('button', { name: 'Send template' }).click();
    await page.locator('.bubble.out', { hasText: 'Your order A-1042 has shipped.' }).waitFor();
    const msgs = await world.app.call('GET', `/v1/conversations/${first.body.conversation_id}/messages`, {
      key: world.key,
    });
    const last = msgs.body.data.at(-1);
    assert.deepEqual(last.template.variables, ['A-1042']);
    // The header file and the button's value went with it (what the provider is sent).
    const row = await world.app.ctx.db
      .selectFrom('messages')
      .select('template')
      .where('id', '=', last.id)
      .executeTakeFirstOrThrow();
    const stored = JSON.parse(String(row.template));
    assert.equal(stored.header_media.url, 'https://cdn.example/box.jpg');
    assert.deepEqual(stored.buttons, [{ index: 0, sub_type: 'url', value: 'A-1042' }]);
    await closePage(page);
  });

  it("a reply the API refuses shows the API's message and keeps the draft", async () => {
    const from = nextPhone();
    const conv = await inbound(from, 'Stop messaging me');
    const c = await world.app.call('GET', `/v1/conversations/${conv}`, { key: world.key });
    const optOut = await world.app.call('PATCH', `/v1/contacts/${c.body.contact.id}`, {
      key: world.key,
      body: { opted_out: true },
    });
    assert.equal(optOut.status, 200);
    const page = await open('agent', `/app/c/${conv}`);
    const box = page.getByLabel('Reply on whatsapp');
    await box.fill('Sorry, one last thing');
    await box.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'opted out' }).waitFor();
    assert.equal(await box.inputValue(), 'Sorry, one last thing');
    // The draft also survives a reload.
    await page.reload();
    await page.locator('.conn[data-state=live]').waitFor();
    assert.equal(await page.getByLabel('Reply on whatsapp').inputValue(), 'Sorry, one last thing');
    await closePage(page);
  });

  it("the contact panel shows a booking at the business's time, with its zone", async () => {
    const from = nextPhone();
    const conv = await inbound(from, 'See you at my appointment');
    const convo = await world.app.call('GET', `/v1/conversations/${conv}`, { key: world.key });
    const salon = await world.app.call('POST', '/v1/agents', {
      key: world.key,
      body: {
        name: 'Zone Salon',
        business: {
          timezone: 'Asia/Kolkata',
          services: [{ name: 'Haircut', duration_minutes: 30 }],
          hours: Object.fromEntries(
            ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [
              d,
              [{ open: '09:00', close: '21:00' }],
            ]),
          ),
        },
      },
    });
    assert.equal(salon.status, 201, salon.text);
    // 18:00 in Kolkata, three days out (12:30 UTC).
    const start = new Date(Date.now() + 3 * 86_400_000);
    start.setUTCHours(12, 30, 0, 0);
    const booked = await world.app.call('POST', '/v1/bookings', {
      key: world.key,
      body: {
        agent_id: salon.body.id,
        service_id: salon.body.business.services[0].id,
        start_at: start.toISOString(),
        contact_id: convo.body.contact.id,
      },
    });
    assert.equal(booked.status, 201, booked.text);
    const page = await open('agent', `/app/c/${conv}`);
    await page.getByText(/(6:00\s?PM|18:00) \(Asia\/Kolkata\)/).waitFor();
    await closePage(page);
  });

  it("shows a resolved conversation's analysis beside the thread", async () => {
    const conv = await inbound(nextPhone(), 'Hi, I need a haircut on Saturday');
    const closed = await world.app.call('POST', `/v1/conversations/${conv}/close`, { key: world.key });
    assert.equal(closed.status, 200, closed.text);
    await eventually(async () => {
      const r = await world.app.call('GET', `/v1/conversations/${conv}`, { key: world.key });
      return r.body.analysis !== null;
    });
    const page = await open('agent', `/app/c/${conv}`);
    const panel = page.getByRole('region', { name: 'Analysis' });
    await panel.getByText(/The customer wrote: "Hi, I need a haircut on Saturday"/).waitFor();
    await panel.getByText('builtin', { exact: false }).waitFor();
    await closePage(page);
  });

  it('writes a private note that other agents see live and the customer never gets', async () => {
    const conv = await inbound(nextPhone(), 'Where is my refund?');
    const [admin, agent] = await Promise.all([
      open('admin', `/app/c/${conv}`),
      open('agent', `/app/c/${conv}`),
    ]);
    await agent.getByRole('tab', { name: 'Private note' }).click();
    const box = agent.getByLabel('Private note (never sent to the customer)');
    await box.fill('Refund approved by finance, tell her tomorrow');
    await box.press('Enter');
    await admin.locator('.bubble.note', { hasText: 'Refund approved by finance' }).waitFor();
    const msgs = await world.app.call('GET', `/v1/conversations/${conv}/messages`, { key: world.key });
    const note = msgs.body.data.find((m: { type: string }) => m.type === 'note');
    assert.equal(note.status, 'received');
    assert.equal(note.sender.id, world.agent.id);
    await Promise.all([closePage(admin), closePage(agent)]);
  });

  it('an admin creates an API key, shown once, that works', async () => {
    const page = await open('admin');
    await page.getByRole('link', { name: 'Manage' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Name').fill('Zapier');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByTestId('secret');
    await secret.waitFor();
    const key = (await secret.textContent()) ?? '';
    assert.match(key, /^prl_test_/);
    const me = await world.app.call('GET', '/v1/me', { key });
    assert.equal(me.status, 200);
    await page.getByRole('button', { name: 'Done' }).click();
    await secret.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'Zapier', exact: true }).waitFor();
    // The list never shows the key again.
    assert.equal(await page.getByText(key).count(), 0);
    await closePage(page);
  });

  it('an agent cannot manage: no link, the page refuses, and so does the API', async () => {
    const page = await open('agent');
    assert.equal(await page.getByRole('link', { name: 'Manage' }).count(), 0);
    await page.goto(`${world.url}/app/manage/keys`);
    await page.getByRole('alert').filter({ hasText: 'Only admins manage the workspace' }).waitFor();
    const token = await page.evaluate(
      () => JSON.parse(sessionStorage.getItem('parley.session') ?? '{}').token,
    );
    const keys = await world.app.call('GET', '/v1/api-keys', { key: token });
    assert.equal(keys.status, 403);
    assert.equal(keys.body.error.code, 'forbidden');
    await closePage(page);
  });

  it('an expired session goes back to sign-in with a plain message', async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    const token = await new SignJWT({
      ws: (await world.app.call('GET', '/v1/me', { key: world.key })).body.workspace.id,
      lm: false,
      role: 'agent',
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(world.agent.id)
      .setIssuer('parley')
      .setAudience('parley-inbox')
      .setIssuedAt(past - 3600)
      .setExpirationTime(past)
      .sign(world.app.ctx.modules.users.sessionSecret);
    const { context, page } = await newPage(chrome.browser);
    const session = {
      token,
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      user: { id: world.agent.id, name: 'Arjun Agent', email: world.agent.email, role: 'agent' },
    };
    await context.addInitScript((s) => sessionStorage.setItem('parley.session', s), JSON.stringify(session));
    await page.goto(`${world.url}/app`);
    await page.getByText('Your session has ended. Sign in again.').waitFor();
    await page.getByLabel('Password').waitFor();
    await context.close();
  });

  it("shows a voice call's status and its transcript growing live", async () => {
    const agent = await world.app.call('POST', '/v1/agents', {
      key: world.key,
      body: {
        name: 'Phone desk',
        greeting: 'Hello, Glow Salon here. How can I help?',
        business: { hours: { mon: [{ open: '10:00', close: '19:00' }] } },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const page = await open('agent', '/app?channel=voice');
    // Voice conversations take notes, not typed replies.
    const placed = await world.app.call('POST', '/v1/calls', {
      key: world.key,
      body: {
        calls: [
          {
            agent_id: agent.body.id,
            to: nextPhone(),
            sandbox: {
              outcome: 'answer',
              lines: ['What are your opening hours?', 'Thank you, bye'],
              hangup_after_lines: true,
            },
          },
        ],
      },
    });
    assert.equal(placed.status, 201, placed.text);
    const call = placed.body.results[0].call;
    // A sandbox call runs in real time: on a busy machine its turns take a while.
    const slow = { timeout: 90_000 };
    await page.locator(`.card[data-id="${call.conversation_id}"]`).click(slow);
    const panel = page.getByRole('region', { name: 'Calls' });
    // A call that is over when the panel first shows has its transcript folded: open it.
    const toggle = panel.getByRole('button', { name: /^Transcript/ });
    await toggle.waitFor(slow);
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    await panel.locator('.transcript li', { hasText: 'What are your opening hours?' }).waitFor(slow);
    await panel.locator('.call[data-status=completed]').waitFor(slow);
    const stored = await world.app.call('GET', `/v1/calls/${call.id}`, { key: world.key });
    assert.equal(stored.body.status, 'completed');
    // Every turn the call stored is on the screen, once.
    for (const turn of stored.body.transcript as Array<{ text: string }>) {
      assert.equal(await panel.locator('.transcript li', { hasText: turn.text }).count(), 1, turn.text);
    }
    await page.locator('.bubble.in', { hasText: 'What are your opening hours?' }).waitFor(slow);
    await closePage(page);
  });

  it('keyboard: j/k move through the list, Enter opens, r focuses the reply box, every button is named', async () => {
    const a = await inbound(nextPhone(), 'keyboard one');
    const b = await inbound(nextPhone(), 'keyboard two');
    const page = await open('agent');
    await page.locator(`.card[data-id="${b}"]`).waitFor();
    await page.locator(`.card[data-id="${a}"]`).waitFor();
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await eventually(async () => /\/app\/c\/conv_/.test(page.url()));
    await page.locator('.bubble.in').first().waitFor();
    await page.keyboard.press('r');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'reply-box');
    await page.keyboard.press('Escape');
    await page.keyboard.press('/');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'search');
    // Every control has a name a screen reader can say.
    const unnamed = await page.evaluate(`
      [...document.querySelectorAll('button, a[href], input, select, textarea')]
        .filter((e) => !(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.labels?.length ||
          (e.textContent ?? '').trim() || e.getAttribute('title')))
        .map((e) => e.outerHTML.slice(0, 80))
    `);
    assert.deepEqual(unnamed, []);
    await closePage(page);
  });
  // Last: it cuts every connection the server has.
  it('shows a lost connection, then catches up with nothing missing and nothing doubled', async () => {
    const from = nextPhone();
    const conv = await inbound(from, 'First message');
    const page = await open('agent', `/app/c/${conv}`);
    await page.locator('.bubble.in', { hasText: 'First message' }).waitFor();
    // The network drops: the stream's connection is cut and new ones fail until it is back.
    await page.route('**/v1/events/stream', (route) => route.abort('internetdisconnected'));
    world.app.parley.app.server.closeAllConnections();
    await page.locator('.conn[data-state=reconnecting]').waitFor();
    assert.match((await page.locator('.conn').textContent()) ?? '', /Reconnecting/);
    await inbound(from, 'Sent while you were offline');
    const other = await inbound(nextPhone(), 'A new customer meanwhile');
    await page.unroute('**/v1/events/stream');
    await page.locator('.conn[data-state=live]').waitFor();
    await page.locator('.bubble.in', { hasText: 'Sent while you were offline' }).waitFor();
    await page.locator(`.card[data-id="${other}"]`).waitFor();
    await inbound(from, 'And after');
    await page.locator('.bubble.in', { hasText: 'And after' }).waitFor();
    assert.equal(await page.locator('.bubble.in', { hasText: 'Sent while you were offline' }).count(), 1);
    assert.equal(await page.locator(`.card[data-id="${other}"]`).count(), 1);
    assert.equal(await page.locator(`.card[data-id="${conv}"]`).count(), 1);
    await closePage(page);
  });
});
