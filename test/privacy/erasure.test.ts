import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { signMetaPayload } from '../../src/modules/channels/whatsapp/meta-protocol.ts';
import { newId } from '../../src/platform/ids.ts';
import { FakeMetaGraph, type FakeNumber, messagesPayload, textMessage } from '../fakes/meta-graph.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

/**
 * Issue 51 item 1: erasing a person leaves nothing of theirs. A contact is seeded into every
 * table that can hold them (a real WhatsApp inbound, a reply, a lead, a booking, an audience, a
 * webhook whose receiver echoes what it got, an idempotent create, an AI reply); after the
 * erasure their phone, name, email and words are found nowhere: not through the API, not in the
 * CSV exports, not in a raw scan of every table of the database.
 */
const PHONE = '+919812345670';
const NAME = 'Zanthoria Quillfeather';
const EMAIL = 'zanthoria.q@example.com';
const SECRET_TEXT = 'My Aadhaar is 1234 5678 9012';
const NEEDLES = [PHONE, PHONE.slice(1), '%2B919812345670', NAME, 'Zanthoria', EMAIL, '1234 5678 9012'];

const found = (text: string) => NEEDLES.filter((n) => text.toLowerCase().includes(n.toLowerCase()));

forEachStorage('erasing a person', (storage) => {
  let t: TestApp;
  let fake: FakeMetaGraph;
  let number: FakeNumber;
  let ws: Workspace;
  let channelId: string;
  let receiver: Server;
  let contactId: string;
  let conversationId: string;

  before(async () => {
    fake = new FakeMetaGraph('v21.0');
    await fake.start();
    t = await startTestApp(storage, {
      env: { PARLEY_META_GRAPH_URL: fake.url, PARLEY_META_GRAPH_VERSION: 'v21.0' },
      modules: providerTestModules(),
    });
    ws = await t.workspace();
    number = fake.addNumber({ displayPhoneNumber: '14155550111' });
    const ch = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'whatsapp',
        provider: 'meta',
        address: '+14155550111',
        credentials: {
          phone_number_id: number.phoneNumberId,
          business_account_id: number.businessAccountId,
          access_token: number.accessToken,
          app_secret: number.appSecret,
          verify_token: 'verify-me',
        },
      },
    });
    assert.equal(ch.status, 201, ch.text);
    channelId = ch.body.id;
    // A receiver that answers with what it was sent (some do): the delivery log keeps an excerpt.
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => res.end(Buffer.concat(chunks)));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = await t.call('POST', '/v1/webhooks', {
      key: ws.live,
      body: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` },
    });
    assert.equal(hook.status, 201, hook.text);
  });
  after(async () => {
    await fake?.settled();
    await t?.close();
    await fake?.stop();
    receiver?.close();
  });

  /** Every row of every table (the app's and, on PostgreSQL, the queue's), as text. */
  async function rawScan(): Promise<string[]> {
    const hits: string[] = [];
    const tables =
      storage === 'sqlite'
        ? (
            await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(t.ctx.db)
          ).rows.map((r) => `"${r.name}"`)
        : (
            await sql<{ s: string; n: string }>`select table_schema as s, table_name as n
              from information_schema.tables
              where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'`.execute(
              t.ctx.db,
            )
          ).rows.map((r) => `"${r.s}"."${r.n}"`);
    for (const table of tables) {
      const rows = (await sql`select * from ${sql.raw(table)}`.execute(t.ctx.db)).rows;
      for (const row of rows) {
        const text = JSON.stringify(row, (_k, v) =>
          typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('utf8') : v,
        );
        const f = found(text);
        if (f.length) hits.push(`${table}: ${f.join(', ')} in ${text.slice(0, 300)}`);
      }
    }
    return hits;
  }

  it('seeds the person everywhere, erases them, and nothing of theirs is left', async () => {
    // The contact, created with an Idempotency-Key (its answer is stored).
    const c = await t.call('POST', '/v1/contacts', {
      key: ws.live,
      headers: { 'idempotency-key': 'create-zanthoria' },
      body: { phone: PHONE, name: NAME, email: EMAIL, attributes: { note: SECRET_TEXT } },
    });
    assert.equal(c.status, 201, c.text);
    contactId = c.body.id;

    // A real WhatsApp inbound (its raw payload is kept), with their profile name.
    const raw = JSON.stringify(messagesPayload(number, [textMessage(PHONE, SECRET_TEXT)], NAME));
    const hook = await t.call('POST', `/hooks/whatsapp/${channelId}`, {
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaPayload(raw, number.appSecret),
      },
    });
    assert.equal(hook.status, 200, hook.text);
    conversationId = await eventually(async () => {
      const list = await t.call('GET', `/v1/conversations?contact_id=${contactId}`, { key: ws.live });
      return list.body.data[0]?.id as string | undefined;
    });
    const reply = await t.call('POST', `/v1/conversations/${conversationId}/reply`, {
      key: ws.live,
      body: { text: `Thanks ${NAME}, we noted 1234 5678 9012 for ${EMAIL}` },
    });
    assert.ok(reply.status < 300, reply.text);

    // Their consent ledger (the note names them), a tool call made for them, a file they sent, a
    // CSAT comment, a colleague's mention quoting them.
    const consent = await t.call('POST', `/v1/contacts/${contactId}/consents`, {
      key: ws.live,
      body: { channel: 'whatsapp', purpose: 'marketing', status: 'revoked', note: `${NAME} asked, ${PHONE}` },
    });
    assert.equal(consent.status, 201, consent.text);
    const now = new Date().toISOString();
    const inbound = await t.ctx.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .where('direction', '=', 'inbound')
      .executeTakeFirstOrThrow();
    await t.ctx.db
      .insertInto('message_attachments')
      .values({
        id: newId('att'),
        workspace_id: ws.id,
        livemode: 1,
        message_id: inbound.id,
        position: 0,
        filename: `${NAME} passport.txt`,
        mime_type: 'text/plain',
        size: SECRET_TEXT.length,
        content_id: null,
        content_base64: Buffer.from(SECRET_TEXT).toString('base64'),
        created_at: now,
      })
      .execute();
    await t.ctx.db
      .insertInto('tool_calls')
      .values({
        id: newId('tc'),
        workspace_id: ws.id,
        livemode: 1,
        tool_id: 'tool_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
        tool_name: 'order_status',
        conversation_id: conversationId,
        agent_id: null,
        source: 'chat',
        effect: 'read',
        status: 'ok',
        code: null,
        message: null,
        attempts: 1,
        latency_ms: 10,
        args: JSON.stringify({ phone: PHONE, email: EMAIL }),
        request: JSON.stringify({ url: `https://crm.example.com/find?phone=${encodeURIComponent(PHONE)}` }),
        response: JSON.stringify({ body: `{"name":"${NAME}"}` }),
        result: JSON.stringify({ name: NAME }),
        created_at: now,
      })
      .execute();
    await t.ctx.db
      .insertInto('csat_requests')
      .values({
        id: newId('csat'),
        workspace_id: ws.id,
        livemode: 1,
        conversation_id: conversationId,
        event_id: newId('evt'),
        contact_id: contactId,
        agent_id: null,
        channel: 'whatsapp',
        status: 'answered',
        skip_reason: null,
        token: 'tok-erasure-test',
        score: 4,
        comment: `${NAME} here, ${SECRET_TEXT}`,
        answered_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const user = await t.call('POST', '/v1/users', {
      key: ws.live,
      body: {
        name: 'Colleague',
        email: 'colleague@erasure.test',
        role: 'agent',
        password: 'a long password',
      },
    });
    assert.equal(user.status, 201, user.text);
    await t.ctx.db
      .insertInto('mentions')
      .values({
        id: newId('men'),
        workspace_id: ws.id,
        livemode: 1,
        user_id: user.body.id,
        conversation_id: conversationId,
        message_id: inbound.id,
        by_user_id: null,
        excerpt: `@Colleague ${NAME} says ${SECRET_TEXT}`,
        created_at: now,
        read_at: null,
      })
      .execute();
    // Found by search before.
    const before = await t.call('GET', '/v1/search?q=Aadhaar', { key: ws.live });
    assert.equal(before.status, 200, before.text);
    assert.ok(before.body.data.length >= 1, before.text);

    const lead = await t.call('POST', '/v1/leads', {
      key: ws.live,
      body: {
        contact_id: contactId,
        conversation_id: conversationId,
        name: NAME,
        phone: PHONE,
        email: EMAIL,
        intent: SECRET_TEXT,
      },
    });
    assert.ok(lead.status === 201 || lead.status === 200, lead.text);

    const agent = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: {
        name: 'Desk',
        business: {
          timezone: 'UTC',
          hours: Object.fromEntries(
            ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [
              d,
              [{ open: '00:00', close: '23:59' }],
            ]),
          ),
          services: [{ name: 'Visit', duration_minutes: 30 }],
        },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const start = new Date(Date.now() + 2 * 86_400_000);
    start.setUTCHours(10, 0, 0, 0);
    const booking = await t.call('POST', '/v1/bookings', {
      key: ws.live,
      body: {
        agent_id: agent.body.id,
        service_id: agent.body.business.services[0].id,
        start_at: start.toISOString(),
        contact_id: contactId,
        notes: `${NAME} says: ${SECRET_TEXT}`,
      },
    });
    assert.equal(booking.status, 201, booking.text);

    const aud = await t.call('POST', '/v1/audiences', { key: ws.live, body: { name: 'VIP' } });
    assert.equal(aud.status, 201, aud.text);
    const member = await t.call('POST', `/v1/audiences/${aud.body.id}/contacts`, {
      key: ws.live,
      body: { contact_ids: [contactId] },
    });
    assert.ok(member.status < 300, member.text);

    // The receiver's echo is in the delivery log before the erasure.
    await eventually(async () => {
      const rows = await t.ctx.db.selectFrom('webhook_deliveries').select('response_excerpt').execute();
      return rows.some(
        (r) => r.response_excerpt?.includes(PHONE.slice(1)) || r.response_excerpt?.includes(EMAIL),
      );
    });
    assert.ok((await rawScan()).length > 5, 'the person is seeded in many tables');

    // The erasure: an explicit request with a reason.
    const erase = await t.call('POST', `/v1/contacts/${contactId}/erase`, {
      key: ws.live,
      body: { reason: 'Customer request under DPDP s.12' },
    });
    assert.equal(erase.status, 202, erase.text);
    assert.equal(erase.body.object, 'contact_erasure');
    const done = await eventually(async () => {
      const e = await t.call('GET', `/v1/erasures/${erase.body.id}`, { key: ws.live });
      return e.body.status === 'completed' ? e.body : undefined;
    });
    assert.equal(done.reason, 'Customer request under DPDP s.12');
    const erased = await t.ctx.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'contact.erased')
      .where('object_id', '=', contactId)
      .execute();
    assert.equal(erased.length, 1);

    // Asked again: the same erasure, 200.
    const again = await t.call('POST', `/v1/contacts/${contactId}/erase`, {
      key: ws.live,
      body: { reason: 'twice' },
    });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, erase.body.id);

    // Through the API.
    const reads = [
      `/v1/contacts?search=${encodeURIComponent(PHONE)}`,
      `/v1/contacts/${contactId}`,
      `/v1/conversations/${conversationId}`,
      `/v1/conversations/${conversationId}/messages`,
      '/v1/conversations',
      '/v1/leads',
      '/v1/bookings',
      '/v1/events?per_page=100',
      `/v1/audiences/${aud.body.id}/contacts`,
      '/v1/reports/conversations.csv',
    ];
    for (const url of reads) {
      const r = await t.call('GET', url, { key: ws.live });
      assert.ok(r.status < 500, `${url}: ${r.status}`);
      assert.deepEqual(found(r.text), [], `${url}: ${r.text.slice(0, 400)}`);
    }
    const deliveries = await t.call('GET', '/v1/webhooks?per_page=10', { key: ws.live });
    for (const w of deliveries.body.data) {
      const d = await t.call('GET', `/v1/webhooks/${w.id}/deliveries?per_page=100`, { key: ws.live });
      assert.deepEqual(found(d.text), [], d.text.slice(0, 400));
    }

    // Counts stay: the conversation and its two messages are still counted.
    const conv = await t.call('GET', `/v1/conversations/${conversationId}`, { key: ws.live });
    assert.equal(conv.status, 200, conv.text);
    const msgs = await t.call('GET', `/v1/conversations/${conversationId}/messages`, { key: ws.live });
    assert.equal(msgs.body.data.length, 2);

    // The search index (SQLite's message_fts, PostgreSQL's search_tsv) no longer finds their words.
    for (const q of ['Aadhaar', 'Zanthoria', '9012']) {
      const r = await t.call('GET', `/v1/search?q=${q}`, { key: ws.live });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.data.length, 0, `${q}: ${r.text.slice(0, 300)}`);
    }
    if (storage === 'sqlite') {
      const fts = await sql<{
        n: number;
      }>`select count(*) as n from message_fts where message_fts match 'Aadhaar'`.execute(t.ctx.db);
      assert.equal(Number(fts.rows[0]!.n), 0);
    } else {
      const tsv = await sql<{
        n: number;
      }>`select count(*) as n from messages where search_tsv @@ to_tsquery('parley_search', 'aadhaar')`.execute(
        t.ctx.db,
      );
      assert.equal(Number(tsv.rows[0]!.n), 0);
    }
    // Their consents, the file, the mention, the tool call, the CSAT comment: read through the API too.
    for (const url of [
      `/v1/conversations/${conversationId}/tool-calls`,
      '/v1/csat',
      '/v1/reports/calls.csv',
    ]) {
      const r = await t.call('GET', url, { key: ws.live });
      assert.ok(r.status < 500, `${url}: ${r.status}`);
      assert.deepEqual(found(r.text), [], `${url}: ${r.text.slice(0, 400)}`);
    }

    // A raw scan of every table.
    assert.deepEqual(await rawScan(), []);
  });

  it('a plain delete erases too, and an unknown contact is a 404', async () => {
    const c = await t.call('POST', '/v1/contacts', {
      key: ws.live,
      body: { phone: '+919812345671', name: 'Ondrej Plainview', email: 'ondrej.p@example.com' },
    });
    assert.equal(c.status, 201, c.text);
    const del = await t.call('DELETE', `/v1/contacts/${c.body.id}`, { key: ws.live });
    assert.equal(del.status, 200, del.text);
    await eventually(async () => {
      const row = await t.ctx.db
        .selectFrom('contact_erasures')
        .select(['status', 'subject', 'reason'])
        .where('contact_id', '=', c.body.id)
        .executeTakeFirst();
      return row?.status === 'completed' ? row : undefined;
    });
    const missing = await t.call('POST', '/v1/contacts/ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D/erase', {
      key: ws.live,
      body: { reason: 'x' },
    });
    assert.equal(missing.status, 404, missing.text);
    const noReason = await t.call('POST', `/v1/contacts/${c.body.id}/erase`, { key: ws.live, body: {} });
    assert.equal(noReason.status, 400, noReason.text);
  });
});
