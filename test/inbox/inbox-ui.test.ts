import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

/**
 * The inbox's pure parts (the list/thread rules) run in node as they run in the browser: plain ES
 * modules with no DOM. Its event stream is the SDK's `events.live` (packages/sdk/test/browser.test.ts).
 */
const web = (file: string) => new URL(`../../src/modules/inbox/web/${file}`, import.meta.url).href;
const store: any = await import(web('store.js'));
const notify: any = await import(web('notify-rules.js'));

const conv = (over: Record<string, unknown> = {}) => ({
  id: 'conv_1',
  channel: 'whatsapp',
  status: 'active',
  ai_paused: false,
  assignee: null,
  tags: [],
  agent_id: null,
  contact: { name: 'Asha', phone: '+919800000001' },
  contact_address: '+919800000001',
  last_message: 'hello',
  last_message_at: '2026-05-10T08:00:00.000Z',
  last_message_sender: 'customer',
  window_expires_at: '2026-05-11T08:00:00.000Z',
  created_at: '2026-05-10T07:00:00.000Z',
  ...over,
});

describe('inbox: list and thread rules', () => {
  it('turns views and filters into the API query', () => {
    assert.equal(store.listParams('mine', {}, 'usr_1').toString(), 'assignee=usr_1&status=active');
    assert.equal(
      store.listParams('unassigned', { channel: 'sms' }, 'usr_1').toString(),
      'assignee=none&status=active&channel=sms',
    );
    assert.equal(
      store.listParams('handoffs', { status: 'any', q: 'refund' }, 'u').toString(),
      'ai_paused=true&q=refund',
    );
    assert.equal(
      store.listParams('all', { tag: 'vip', agent: 'agt_1' }, 'u').toString(),
      'status=active&tag=vip&agent_id=agt_1',
    );
    // Priority and assignee (a person or a team); the Mine tab's own assignee wins.
    assert.equal(
      store.listParams('all', { priority: 'urgent', assignee: 'team_1' }, 'u').toString(),
      'assignee=team_1&priority=urgent&status=active',
    );
    assert.equal(
      store.listParams('mine', { assignee: 'team_1' }, 'u').toString(),
      'assignee=u&status=active',
    );
    const conv = { status: 'active', priority: 'urgent', assignee: { type: 'team', id: 'team_1' }, tags: [] };
    assert.equal(store.matchesView(conv, 'all', { priority: 'urgent', assignee: 'team_1' }, 'u'), true);
    assert.equal(store.matchesView(conv, 'all', { priority: 'high' }, 'u'), false);
    assert.equal(store.matchesView(conv, 'all', { assignee: 'none' }, 'u'), false);
  });

  it('lists a searched view through the full-text search', () => {
    assert.equal(store.listPath('mine', {}, 'usr_1'), '/v1/conversations?assignee=usr_1&status=active');
    assert.equal(
      store.listPath('handoffs', { q: 'refund 5531', channel: 'whatsapp' }, 'u'),
      '/v1/search?ai_paused=true&channel=whatsapp&q=refund+5531',
    );
    // A search looks in every status unless one is chosen: a phrase from a conversation closed
    // weeks ago is found without changing the filter (issue 62).
    assert.equal(store.listPath('all', { q: 'still not here' }, 'u'), '/v1/search?q=still+not+here');
    assert.equal(
      store.listPath('all', { q: 'still not here', status: 'open' }, 'u'),
      '/v1/search?status=open&q=still+not+here',
    );
  });

  it('keeps a search hit found by an earlier message when a new one arrives, and cuts its snippet safely', () => {
    const hit = store.searchCard({
      conversation: conv({ id: 'conv_s', last_message: 'refund please' }),
      matches: [{ snippet: 'refund please', highlights: [[0, 6]] }],
    });
    const list = store.upsertConversation(
      [hit],
      { ...hit, matches: undefined, last_message: 'hello?' },
      'all',
      { q: 'refund' },
      'u',
    );
    assert.equal(list.length, 1, 'a hit stays though its new last message lacks the word');
    assert.deepEqual(list[0].matches, hit.matches);
    const closed = store.upsertConversation(
      list,
      { ...list[0], status: 'closed' },
      'all',
      { q: 'refund' },
      'u',
    );
    assert.equal(closed.length, 0, 'but leaves the open view when closed');
    assert.deepEqual(store.snippetParts('a <b>refund</b>', [[5, 11]]), [
      { text: 'a <b>', mark: false },
      { text: 'refund', mark: true },
      { text: '</b>', mark: false },
    ]);
    assert.deepEqual(
      store.snippetParts('abc', [[1, 9]]),
      [{ text: 'abc', mark: false }],
      'a range past the end is ignored',
    );
  });

  it('adds, moves and removes cards as conversations change', () => {
    const a = conv({ id: 'conv_a', last_message_at: '2026-05-10T08:00:00.000Z' });
    const b = conv({ id: 'conv_b', last_message_at: '2026-05-10T09:00:00.000Z' });
    let list = store.upsertConversation([], a, 'all', {}, 'usr_1');
    list = store.upsertConversation(list, b, 'all', {}, 'usr_1');
    assert.deepEqual(
      list.map((c: { id: string }) => c.id),
      ['conv_b', 'conv_a'],
    );
    // A newer message moves a card to the top; closing it takes it out of the open view.
    list = store.upsertConversation(
      list,
      { ...a, last_message_at: '2026-05-10T10:00:00.000Z' },
      'all',
      {},
      'usr_1',
    );
    assert.deepEqual(
      list.map((c: { id: string }) => c.id),
      ['conv_a', 'conv_b'],
    );
    list = store.upsertConversation(list, { ...b, status: 'closed' }, 'all', {}, 'usr_1');
    assert.deepEqual(
      list.map((c: { id: string }) => c.id),
      ['conv_a'],
    );
    // Mine: only what is assigned to me.
    assert.equal(
      store.matchesView(conv({ assignee: { type: 'user', id: 'usr_2' } }), 'mine', {}, 'usr_1'),
      false,
    );
    assert.equal(
      store.matchesView(conv({ assignee: { type: 'user', id: 'usr_1' } }), 'mine', {}, 'usr_1'),
      true,
    );
    assert.equal(store.matchesView(conv({ ai_paused: true }), 'handoffs', {}, 'u'), true);
    assert.equal(store.matchesView(conv(), 'all', { q: 'ASHA' }, 'u'), true);
    assert.equal(store.matchesView(conv(), 'all', { q: 'ravi' }, 'u'), false);
  });

  it('moves a message status forward only and keeps the thread in id order without doubles', () => {
    const m = (id: string, status: string) => ({ id, status, created_at: '2026-05-10T08:00:00.000Z' });
    let thread = [m('msg_1', 'received'), m('msg_3', 'queued')];
    thread = store.mergeMessage(thread, m('msg_3', 'read'));
    thread = store.mergeMessage(thread, m('msg_3', 'sent'));
    assert.equal(thread[1].status, 'read');
    thread = store.mergeMessage(thread, m('msg_2', 'received'));
    assert.deepEqual(
      thread.map((x: { id: string }) => x.id),
      ['msg_1', 'msg_2', 'msg_3'],
    );
    thread = store.prependMessages(thread, [m('msg_1', 'received'), m('msg_0', 'received')]);
    assert.deepEqual(
      thread.map((x: { id: string }) => x.id),
      ['msg_0', 'msg_1', 'msg_2', 'msg_3'],
    );
  });

  it('marks unread only what a customer wrote after the last look, and counts the window down', () => {
    assert.equal(store.isUnread(conv(), undefined), true);
    assert.equal(store.isUnread(conv(), '2026-05-10T08:00:00.000Z'), false);
    assert.equal(store.isUnread(conv({ last_message_sender: 'user' }), undefined), false);
    const now = Date.parse('2026-05-11T05:40:00.000Z');
    assert.equal(store.formatWindow(store.windowLeftMs(conv(), now)), '2 h 20 min left');
    assert.equal(
      store.formatWindow(store.windowLeftMs(conv({ window_expires_at: null }), now)),
      'window closed',
    );
    assert.equal(store.windowLeftMs(conv({ channel: 'sms' }), now), null);
    // Messenger and Instagram: both countdowns, the 24 hours and a person's 7 days (HUMAN_AGENT).
    const dm = conv({ channel: 'instagram', human_agent_window_expires_at: '2026-05-17T08:00:00.000Z' });
    assert.equal(store.formatWindow(store.windowLeftMs(dm, now)), '2 h 20 min left');
    assert.equal(store.formatHumanWindow(store.humanWindowLeftMs(dm, now)), '7 d: 6 d 2 h left');
    const late = Date.parse('2026-05-17T07:30:00.000Z');
    assert.equal(store.formatWindow(store.windowLeftMs(dm, late)), 'window closed');
    assert.equal(store.formatHumanWindow(store.humanWindowLeftMs(dm, late)), '7 d: 30 min left');
    assert.equal(
      store.formatHumanWindow(store.humanWindowLeftMs(dm, Date.parse('2026-05-18T00:00:00.000Z'))),
      '7 d: closed',
    );
    assert.equal(store.humanWindowLeftMs(conv(), now), null, 'WhatsApp has no 7-day window');
    // A note never changes the card.
    const c = conv();
    assert.equal(
      store.withMessage(c, { type: 'note', text: 'x', created_at: '2026-05-12T00:00:00.000Z' }),
      c,
    );
  });

  it('tells who handed off, why, and who the customer waits for since how long; messages move the wait', () => {
    const now = Date.parse('2026-05-11T06:30:00.000Z');
    const names = new Map([
      ['usr_1', 'Ravi'],
      ['team_1', 'Front desk'],
    ]);
    const handoff = {
      reason: 'Customer asked for a person',
      started_at: '2026-05-11T06:10:00.000Z',
      started_by: { type: 'ai', id: 'agt_1' },
      waiting_since: '2026-05-11T06:18:00.000Z',
      waiting_for: { type: 'team', id: 'team_1' },
    };
    const paused = conv({ ai_paused: true, handoff_reason: handoff.reason, handoff });
    assert.equal(
      store.handoffText(paused, names, now),
      'Handed off to people by the AI 20 min ago: Customer asked for a person. The customer has waited 12 min for team Front desk.',
    );
    assert.equal(store.handoffText(conv(), names, now), null);
    // A person's reply ends the wait; the next customer message starts one; the AI's does neither.
    const replied = store.withMessage(paused, {
      type: 'text',
      text: 'Hi',
      created_at: '2026-05-11T06:31:00.000Z',
      sender: { type: 'user', id: 'usr_1' },
    });
    assert.equal(replied.handoff.waiting_since, null);
    assert.match(store.handoffText(replied, names, now), /No one is waiting: a person replied last\./);
    // Taken over right after the AI answered: no one waits, and it was the AI that replied last.
    const takenAfterAi = { ...replied, last_message_sender: 'ai' };
    assert.match(store.handoffText(takenAfterAi, names, now), /No one is waiting: the AI replied last\./);
    const asked = store.withMessage(replied, {
      type: 'text',
      text: 'ok?',
      created_at: '2026-05-11T06:32:00.000Z',
      sender: { type: 'customer', id: null },
    });
    assert.equal(asked.handoff.waiting_since, '2026-05-11T06:32:00.000Z');
    const held = store.withMessage(asked, {
      type: 'text',
      text: 'Thanks for waiting',
      created_at: '2026-05-11T06:40:00.000Z',
      sender: { type: 'ai', id: 'agt_1' },
    });
    assert.equal(held.handoff.waiting_since, '2026-05-11T06:32:00.000Z');
    const mine = {
      ...handoff,
      started_by: { type: 'user', id: 'usr_1' },
      waiting_for: { type: 'user', id: 'usr_1' },
    };
    assert.equal(
      store.handoffText(conv({ ai_paused: true, handoff: { ...mine, reason: null } }), names, now),
      'Handed off to people by Ravi 20 min ago. The customer has waited 12 min for Ravi.',
    );
    assert.equal(store.formatDuration(2 * 3_600_000 + 5 * 60_000), '2 h 5 min');
    assert.equal(store.formatDuration(10_000), 'under 1 min');
  });
});

describe('inbox: the / of canned responses', () => {
  it('finds the /word just before the caret, at the start or after a space only', () => {
    assert.deepEqual(store.slashQuery('/ho', 3), { query: 'ho', start: 0 });
    assert.deepEqual(store.slashQuery('Hi /ref-und', 11), { query: 'ref-und', start: 3 });
    assert.deepEqual(store.slashQuery('Hi /', 4), { query: '', start: 3 });
    assert.equal(store.slashQuery('and/or', 6), null, 'a slash inside a word is text');
    assert.equal(store.slashQuery('/ho there', 9), null, 'a space after the word closes it');
    assert.equal(store.slashQuery('see https://x.in/a', 18), null);
  });
});

describe('inbox: what the open inbox tells a person', () => {
  const me = { id: 'usr_me', name: 'Arjun Mehta', email: 'arjun.m@clinic.in' };
  const event = (
    type: string,
    data: Record<string, unknown>,
    actor = { type: 'rule', id: null as string | null },
  ) => ({
    event: type,
    data,
    actor,
  });
  it('tells me of what is mine, not of what I did or what is someone else’s', () => {
    const mine = { id: 'conv_1', assignee: { type: 'user', id: 'usr_me' }, contact: { name: 'Asha' } };
    assert.equal(notify.noticeFor(event('conversation.assigned', mine), me).kind, 'assigned');
    assert.equal(
      notify.noticeFor(event('conversation.assigned', mine, { type: 'user', id: 'usr_me' }), me),
      null,
    );
    assert.equal(
      notify.noticeFor(
        event('conversation.assigned', { ...mine, assignee: { type: 'user', id: 'usr_x' } }),
        me,
      ),
      null,
    );
    assert.equal(
      notify.noticeFor(event('conversation.escalated', { id: 'conv_2', assignee: null }), me).kind,
      'handoff',
    );
    assert.equal(notify.noticeFor(event('sla.breached', { id: 'conv_3', assignee: null }), me), null);
    assert.equal(notify.noticeFor(event('message.received', { conversation_id: 'conv_1' }), me), null);
  });
  it("tells a team's handoffs and SLA misses to its members only; nobody's to everyone", () => {
    const member = { ...me, team_ids: ['team_front'] };
    const teamOf = (id: string) => ({ id: 'conv_7', assignee: { type: 'team', id } });
    assert.equal(
      notify.noticeFor(event('conversation.escalated', teamOf('team_front')), member).kind,
      'handoff',
    );
    assert.equal(notify.noticeFor(event('conversation.escalated', teamOf('team_billing')), member), null);
    assert.equal(notify.noticeFor(event('sla.breached', teamOf('team_billing')), member), null);
    assert.equal(notify.noticeFor(event('sla.breached', teamOf('team_front')), member).kind, 'sla');
    assert.equal(
      notify.noticeFor(event('conversation.escalated', { id: 'c', assignee: null }), member).kind,
      'handoff',
    );
  });
  it('a burst of handoffs is one toast: "5 customers need a person", opening the Handoffs view', () => {
    let toasts: any[] = [];
    const assigned = {
      kind: 'assigned',
      title: 'Assigned to you: Asha',
      body: '',
      url: '/app/c/a',
      tag: 'assigned:a',
    };
    toasts = notify.addToast(toasts, assigned);
    for (const n of [1, 2, 3, 4, 5]) {
      const handoff = {
        kind: 'handoff',
        title: `C${n} needs a person`,
        body: '',
        url: `/app/c/${n}`,
        tag: `handoff:${n}`,
      };
      toasts = notify.addToast(toasts, handoff);
      // The same conversation again adds nothing.
      toasts = notify.addToast(toasts, handoff);
    }
    assert.equal(toasts.length, 2);
    assert.equal(toasts[0].kind, 'assigned');
    assert.equal(toasts[1].title, '5 customers need a person');
    assert.equal(toasts[1].url, '/app?view=handoffs');
    // One handoff alone keeps its own toast and link.
    const one = notify.addToast([], {
      kind: 'handoff',
      title: 'Ravi needs a person',
      body: '',
      url: '/app/c/r',
      tag: 'handoff:r',
    });
    assert.deepEqual(
      one.map((t: any) => t.url),
      ['/app/c/r'],
    );
  });
  it('reads @mentions by first name, full name and email, not inside other words', () => {
    for (const text of ['@arjun call her', 'cc @ArjunMehta', '@arjun.mehta?', 'ping @arjun.m.', '(@Arjun)'])
      assert.equal(notify.mentions(text, me), true, text);
    for (const text of ['arjun@clinic.in wrote', '@arjunx', 'no mention', '@arj'])
      assert.equal(notify.mentions(text, me), false, text);
    const n = notify.noticeFor(
      event('message.note_added', { id: 'msg_1', conversation_id: 'conv_9', text: '@arjun look' }),
      me,
    );
    assert.equal(n.kind, 'mentioned');
    assert.equal(n.url, '/app/c/conv_9');
  });
});
