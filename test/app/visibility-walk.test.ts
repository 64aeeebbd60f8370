import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { collectRoutes } from '../../src/app.ts';
import { modules } from '../../src/modules/index.ts';
import {
  eventually,
  forEachStorage,
  openWindow,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Issue 63: every GET route and the event stream, walked as a person whose role sees only their
 * team's conversations and as one whose role masks customers' contact details, with
 * conversations of two teams seeded. The first finds no conversation of the other team (its id,
 * its messages' ids, its text) anywhere; the second finds no customer's phone or email unmasked.
 */
const getRoutes = collectRoutes(modules).filter((r) => r.method === 'GET' && r.auth === 'key');
const label = (method: string, path: string) => `${method} ${path}`;

/** Everything a role may hold: the walk proves the view, not the scopes, limits what it reads. */
const ALL_READS = ['*'];

interface Seeded {
  conversations: string[];
  messages: string[];
  texts: string[];
  contacts: string[];
  teams: string[];
}

forEachStorage('visibility walk', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let base: string;
  let scoped: string;
  let masked: string;
  const mine: Seeded = { conversations: [], messages: [], texts: [], contacts: [], teams: [] };
  const theirs: Seeded = { conversations: [], messages: [], texts: [], contacts: [], teams: [] };
  const phones: string[] = [];
  const emails: string[] = [];
  let n = 0;

  const call = async (method: string, url: string, key: string, body?: unknown) => {
    const r = await t.call(method, url, { key, ...(body === undefined ? {} : { body }) });
    return r;
  };
  const must = async (method: string, url: string, body?: unknown) => {
    const r = await call(method, url, ws.test, body);
    assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${r.text}`);
    return r.body;
  };
  const person = async (email: string, role: string) => {
    const u = await must('POST', '/v1/users', { name: email, email, role, password: 'a long password' });
    const s = await t.call('POST', '/v1/auth/login', {
      body: { email, password: 'a long password', workspace_id: ws.id, mode: 'test' },
    });
    assert.equal(s.status, 200, s.text);
    return { id: u.id as string, token: s.body.token as string };
  };
  /** A customer writes in; the conversation goes to `assign`. */
  const seed = async (into: Seeded, assign: { user_id?: string; team_id?: string }) => {
    n += 1;
    const phone = `+9198765${String(43210 + n).padStart(5, '0')}`;
    const email = `customer${n}.${storage}@example.com`;
    const text = `order question number ${n}${n}${n} from ${into === mine ? 'mine' : 'theirs'}`;
    const conv = await openWindow(t, ws.test, phone, text);
    const c = await must('GET', `/v1/conversations/${conv}`);
    await must('PATCH', `/v1/contacts/${c.contact.id}`, { email });
    if (assign.user_id || assign.team_id) await must('POST', `/v1/conversations/${conv}/assign`, assign);
    const reply = await must('POST', `/v1/conversations/${conv}/reply`, { text: `we reply to ${text}` });
    const msgs = await must('GET', `/v1/conversations/${conv}/messages`);
    into.conversations.push(conv);
    into.messages.push(...msgs.data.map((m: { id: string }) => m.id), reply.id);
    into.texts.push(text);
    into.contacts.push(c.contact.id);
    phones.push(phone);
    emails.push(email);
  };

  before(async () => {
    t = await startTestApp(storage, { env: { PARLEY_VOICE_SANDBOX_PACE: 'virtual' } });
    ws = await t.workspace();
    const teamA = await must('POST', '/v1/teams', { name: 'Mine' });
    const teamB = await must('POST', '/v1/teams', { name: 'Theirs' });
    mine.teams.push(teamA.id);
    theirs.teams.push(teamB.id);
    const teamRole = await must('POST', '/v1/roles', {
      name: 'Team only',
      permissions: ALL_READS,
      visibility: 'team',
    });
    const maskRole = await must('POST', '/v1/roles', {
      name: 'Masked',
      permissions: ALL_READS,
      mask_contact_details: true,
    });
    const me = await person('scoped@glow.in', teamRole.id);
    masked = (await person('masked@glow.in', maskRole.id)).token;
    scoped = me.token;
    const mate = await person('mate@glow.in', 'agent');
    const other = await person('other@glow.in', 'agent');
    await must('POST', `/v1/teams/${teamA.id}/members`, { user_ids: [me.id, mate.id] });
    await must('POST', `/v1/teams/${teamB.id}/members`, { user_ids: [other.id] });
    await seed(mine, { team_id: teamA.id });
    await seed(mine, { user_id: mate.id });
    await seed(mine, { user_id: me.id });
    await seed(theirs, { team_id: teamB.id });
    await seed(theirs, { user_id: other.id });
    // Unassigned: in nobody's team.
    await seed(theirs, {});
    await new Promise<void>((resolve) => t.parley.app.server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(t.parley.app.server.address() as AddressInfo).port}`;
  });
  after(async () => t?.close());

  /** A path's parameters: the other team's objects where the walk has them, else an unknown id. */
  const fill = (path: string) =>
    path
      .replace(/\/conversations\/:id/, `/conversations/${theirs.conversations[0]}`)
      .replace(/\/messages\/:id/, `/messages/${theirs.messages[0]}`)
      .replace(/\/contacts\/:id/, `/contacts/${theirs.contacts[0]}`)
      .replace(/\/teams\/:id/, `/teams/${theirs.teams[0]}`)
      .replace(/:([A-Za-z_]+)/g, 'x_01JD5Z8Q4X3N2M1K0H9G8F7E6D');

  const walk = async (key: string, check: (what: string, text: string) => void) => {
    let read = 0;
    for (const route of getRoutes) {
      if (route.path === '/v1/events/stream') continue;
      const url = fill(route.path);
      const r = await call('GET', url, key);
      assert.ok(r.status < 500, `${label('GET', url)}: ${r.status} ${r.text.slice(0, 300)}`);
      if (r.status === 200) read += 1;
      // A not-found answer may repeat the id the caller gave: that tells nothing.
      const ids = url.match(/[a-z]+_[0-9A-HJKMNP-TV-Z]{26}/g) ?? [];
      check(
        label('GET', url),
        ids.reduce((text, id) => text.replaceAll(id, '<asked>'), r.text),
      );
    }
    // Many routes answered: the walk did read (not a wall of 403s).
    assert.ok(read > 60, `only ${read} routes answered 200`);
  };

  it('a team-scoped person finds no conversation of another team on any GET route', async () => {
    const own = await call('GET', '/v1/conversations', scoped);
    assert.deepEqual(
      own.body.data.map((c: { id: string }) => c.id).sort(),
      [...mine.conversations].sort(),
      'sees exactly their teams’, their teammates’ and their own',
    );
    assert.equal(own.body.meta.total, mine.conversations.length);
    const forbidden = [...theirs.conversations, ...theirs.messages, ...theirs.texts];
    await walk(scoped, (what, text) => {
      for (const s of forbidden) assert.ok(!text.includes(s), `${what} shows ${s}`);
    });
    // Reads by id and writes into another team's conversation are not found.
    for (const path of [`/v1/conversations/${theirs.conversations[0]}`, `/v1/messages/${theirs.messages[0]}`])
      assert.equal((await call('GET', path, scoped)).status, 404, path);
    const write = await call('POST', `/v1/conversations/${theirs.conversations[0]}/reply`, scoped, {
      text: 'hi',
    });
    assert.equal(write.status, 404, write.text);
    const assign = await call('POST', `/v1/conversations/${theirs.conversations[0]}/assign`, scoped, {
      team_id: mine.teams[0],
    });
    assert.equal(assign.status, 404, assign.text);
    // Sending to another team's customer would write into their conversation: refused.
    const send = await call('POST', '/v1/messages', scoped, {
      to: phones[3],
      text: 'hello from another team',
    });
    assert.equal(send.status, 403, send.text);
    const sendMine = await call('POST', '/v1/messages', scoped, { to: phones[0], text: 'hello again' });
    assert.equal(sendMine.status, 201, sendMine.text);
    // A conversation the person starts is theirs: they see it and may write on.
    const started = await call('POST', '/v1/messages', scoped, {
      to: '+919800011122',
      channel: 'sms',
      text: 'hello, new customer',
    });
    assert.equal(started.status, 201, started.text);
    const theirsNow = await call('GET', `/v1/conversations/${started.body.conversation_id}`, scoped);
    assert.equal(theirsNow.status, 200, theirsNow.text);
    assert.equal(
      (await call('POST', '/v1/messages', scoped, { to: '+919800011122', channel: 'sms', text: 'and again' }))
        .status,
      201,
    );
    // A call into another team's voice conversation is refused too; to one's own it goes.
    const agent = await must('POST', '/v1/agents', { name: 'Voice agent' });
    const busy = { outcome: 'busy' };
    const placed = await must('POST', '/v1/calls', {
      calls: [{ agent_id: agent.id, to: phones[3], sandbox: busy }],
    });
    const voiceConv = placed.results[0].call.conversation_id as string;
    await must('POST', `/v1/conversations/${voiceConv}/assign`, { team_id: theirs.teams[0] });
    theirs.conversations.push(voiceConv);
    const intoTheirs = await call('POST', '/v1/calls', scoped, {
      calls: [{ agent_id: agent.id, to: phones[3], sandbox: busy }],
    });
    assert.ok(
      intoTheirs.status === 422 && intoTheirs.body.error.items?.[0]?.code === 'forbidden',
      `a call into another team's conversation: ${intoTheirs.status} ${intoTheirs.text}`,
    );
    assert.ok(!intoTheirs.text.includes(voiceConv));
    const toNew = await call('POST', '/v1/calls', scoped, {
      calls: [{ agent_id: agent.id, to: '+919800011133', sandbox: busy }],
    });
    assert.equal(toNew.status, 201, toNew.text);
    const search = await call('GET', '/v1/search?q=order', scoped);
    assert.equal(search.status, 200, search.text);
    assert.ok(search.text.includes(mine.texts[0]!), 'search finds their own');
  });

  it('a masked-details person finds no unmasked phone or email on any GET route', async () => {
    const c = await call('GET', `/v1/conversations/${mine.conversations[0]}`, masked);
    assert.equal(c.status, 200);
    assert.match(c.body.contact.phone, /^\+91•+\d{5}$/);
    assert.match(c.body.contact.email, /^c•••@example\.com$/);
    await walk(masked, (what, text) => {
      for (const s of [...phones, ...emails, ...phones.map((p) => p.slice(1))])
        assert.ok(!text.includes(s), `${what} shows ${s}`);
    });
  });

  it('the event stream carries neither another team’s conversations nor unmasked details', async () => {
    const scopedStream = openStream(base, scoped);
    const maskedStream = openStream(base, masked);
    await scopedStream.ready();
    await maskedStream.ready();
    // Theirs first, then mine: once mine has arrived, theirs would have come before it.
    await must('POST', `/v1/conversations/${theirs.conversations[0]}/reply`, { text: 'late reply theirs' });
    await must('POST', `/v1/conversations/${mine.conversations[0]}/reply`, { text: 'late reply mine' });
    await eventually(async () => scopedStream.text().includes('late reply mine'));
    await eventually(async () => maskedStream.text().includes('late reply mine'));
    scopedStream.close();
    maskedStream.close();
    assert.ok(!scopedStream.text().includes('late reply theirs'));
    assert.ok(!scopedStream.text().includes(theirs.conversations[0]!));
    assert.ok(maskedStream.text().includes('late reply theirs'), 'the masked person sees all conversations');
    for (const s of [...phones, ...emails]) assert.ok(!maskedStream.text().includes(s), s);
  });
});

/** A Server-Sent Events reader that keeps what arrived as text. */
function openStream(base: string, token: string) {
  let text = '';
  const req = http.get(
    `${base}/v1/events/stream`,
    { headers: { authorization: `Bearer ${token}` } },
    (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('error', () => {});
    },
  );
  req.on('error', () => {});
  return {
    text: () => text,
    ready: () => eventually(async () => text.includes(': connected')),
    close: () => req.destroy(),
  };
}
