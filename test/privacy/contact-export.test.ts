import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type RawBuilder, sql } from 'kysely';
import { contactExport } from '../../src/modules/privacy/privacy.export.ts';
import { hasPrefix, newId } from '../../src/platform/ids.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';
import { readSequentially } from '../support/zip-readers.ts';

/**
 * Issue 51 item 3: a person's data export, streamed page by page, whole, and audited: calls,
 * CSAT answers, consents and tool calls in it, a zip with the files kept, admins only, and
 * memory that does not grow with the number of messages.
 */
forEachStorage('a contact data export', (storage) => {
  let t: TestApp;
  let ws: Workspace;

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
  });
  after(() => t?.close());

  it('streams the contact, every conversation with all its messages, leads and bookings', async () => {
    const phone = '+14155550188';
    let conversationId = '';
    for (let i = 0; i < 130; i++) {
      const r = await t.call('POST', '/v1/sandbox/inbound', {
        key: ws.test,
        body: { from: phone, text: `message ${i}` },
      });
      assert.equal(r.status, 200, r.text);
      conversationId = r.body.conversation_id;
    }
    const conv = await t.call('GET', `/v1/conversations/${conversationId}`, { key: ws.test });
    const contactId = conv.body.contact.id as string;
    const lead = await t.call('POST', '/v1/leads', {
      key: ws.test,
      body: { contact_id: contactId, conversation_id: conversationId, intent: 'export test' },
    });
    assert.ok(lead.status < 300, lead.text);
    const all: string[] = [];
    for (let page = 1; ; page++) {
      const m = await t.call(
        'GET',
        `/v1/conversations/${conversationId}/messages?per_page=100&page=${page}`,
        {
          key: ws.test,
        },
      );
      all.push(...m.body.data.map((x: { id: string }) => x.id));
      if (page >= m.body.meta.total_pages) break;
    }
    assert.ok(all.length >= 130, `${all.length} messages`);

    const res = await t.call('GET', `/v1/contacts/${contactId}/export`, { key: ws.test });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.match(String(res.headers['content-disposition']), /attachment/);
    const doc = JSON.parse(res.text);
    assert.equal(doc.object, 'contact_export');
    assert.equal(doc.contact.id, contactId);
    assert.equal(doc.conversations.length, 1);
    assert.equal(doc.conversations[0].conversation.id, conversationId);
    assert.deepEqual(
      doc.conversations[0].messages.map((m: { id: string }) => m.id).sort(),
      [...all].sort(),
      'every message once, across pages',
    );
    assert.ok(doc.conversations[0].messages.some((m: { text: string }) => m.text === 'message 129'));
    assert.equal(doc.leads.length, 1);
    assert.deepEqual(doc.bookings, []);

    const audit = await t.call('GET', `/v1/audit-log?object_id=${contactId}`, { key: ws.test });
    assert.ok(
      audit.body.data.some((e: { action: string }) => e.action === 'getContactExport'),
      audit.text,
    );
    const missing = await t.call('GET', '/v1/contacts/ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D/export', {
      key: ws.test,
    });
    assert.equal(missing.status, 404);
    const other = await t.workspace();
    assert.equal((await t.call('GET', `/v1/contacts/${contactId}/export`, { key: other.test })).status, 404);
  });

  it('includes calls, CSAT answers, consents and tool calls, and zips the files kept', async () => {
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: '+14155550189', text: 'the words of a person' },
    });
    assert.equal(r.status, 200, r.text);
    const conversationId = r.body.conversation_id as string;
    const conv = await t.call('GET', `/v1/conversations/${conversationId}`, { key: ws.test });
    const contactId = conv.body.contact.id as string;
    const consent = await t.call('POST', `/v1/contacts/${contactId}/consents`, {
      key: ws.test,
      body: { channel: 'whatsapp', purpose: 'marketing', status: 'revoked', note: 'asked to stop' },
    });
    assert.equal(consent.status, 201, consent.text);
    const now = new Date().toISOString();
    const message = await t.ctx.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .executeTakeFirstOrThrow();
    await t.ctx.db
      .insertInto('message_attachments')
      .values({
        id: newId('att'),
        workspace_id: ws.id,
        livemode: 0,
        message_id: message.id,
        position: 0,
        filename: '../report card.pdf',
        mime_type: 'application/pdf',
        size: 9,
        content_id: null,
        content_base64: Buffer.from('%PDF-1.4\n').toString('base64'),
        created_at: now,
      })
      .execute();
    await t.ctx.db
      .insertInto('tool_calls')
      .values({
        id: newId('tc'),
        workspace_id: ws.id,
        livemode: 0,
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
        latency_ms: 12,
        args: JSON.stringify({ order: 'A-7781' }),
        request: '{}',
        response: null,
        result: JSON.stringify({ status: 'shipped' }),
        created_at: now,
      })
      .execute();
    await t.ctx.db
      .insertInto('csat_requests')
      .values({
        id: newId('csat'),
        workspace_id: ws.id,
        livemode: 0,
        conversation_id: conversationId,
        event_id: newId('evt'),
        contact_id: contactId,
        agent_id: null,
        channel: 'whatsapp',
        status: 'answered',
        skip_reason: null,
        token: 'tok-export-test',
        score: 5,
        comment: 'lovely help',
        answered_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await t.ctx.db
      .insertInto('calls')
      .values({
        id: newId('call'),
        workspace_id: ws.id,
        livemode: 0,
        conversation_id: conversationId,
        contact_id: contactId,
        agent_id: null,
        voice_flow_id: null,
        campaign_id: null,
        direction: 'inbound',
        transport: 'phone',
        channel_id: null,
        provider: 'twilio',
        provider_call_id: 'CA-export-test',
        from_address: '+14155550189',
        to_address: '+14155550100',
        status: 'completed',
        answered_by: null,
        ended_reason: null,
        dynamic_variables: '{}',
        identifier: null,
        ignore_dnd: 0,
        sandbox: null,
        transcript: JSON.stringify([{ role: 'customer', text: 'spoken on the phone' }]),
        recording_url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1',
        transfer_started_at: null,
        latency: '{}',
        error_code: null,
        error_message: null,
        duration_seconds: 42,
        queued_at: now,
        dialed_at: null,
        answered_at: now,
        ended_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();

    const res = await t.call('GET', `/v1/contacts/${contactId}/export`, { key: ws.test });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    const doc = JSON.parse(res.text);
    assert.equal(doc.calls.length, 1);
    assert.equal(doc.calls[0].transcript[0].text, 'spoken on the phone');
    assert.match(doc.calls[0].recording, /^\/v1\/calls\/call_.*\/recording$/);
    assert.equal(doc.csat_answers.length, 1);
    assert.equal(doc.csat_answers[0].comment, 'lovely help');
    assert.ok(doc.consents.history.some((c: { purpose: string }) => c.purpose === 'marketing'));
    assert.equal(doc.conversations[0].tool_calls.length, 1);
    assert.equal(doc.conversations[0].tool_calls[0].tool_name, 'order_status');

    // The zip: export.json and the file kept, by ?format=zip and by Accept.
    for (const ask of [{ url: '?format=zip' }, { url: '', headers: { accept: 'application/zip' } }]) {
      const z = await t.parley.app.inject({
        method: 'GET',
        url: `/v1/contacts/${contactId}/export${ask.url}`,
        headers: { authorization: `Bearer ${ws.test}`, ...(ask.headers ?? {}) },
      });
      assert.equal(z.statusCode, 200, z.body.slice(0, 200));
      assert.equal(z.headers['content-type'], 'application/zip');
      const files = new Map(readSequentially(z.rawPayload).map((e) => [e.name, e.data]));
      const json = JSON.parse(files.get('export.json')!.toString('utf8'));
      assert.equal(json.files, true);
      assert.equal(json.contact.id, contactId);
      const names = [...files.keys()].filter((n) => n.startsWith('files/'));
      assert.equal(names.length, 1, names.join());
      assert.match(names[0]!, /^files\/msg_\w+\/att_\w+-__report card\.pdf$/);
      assert.equal(files.get(names[0]!)!.toString(), '%PDF-1.4\n');
    }
    assert.equal(
      (await t.call('GET', `/v1/contacts/${contactId}/export?format=tar`, { key: ws.test })).status,
      400,
    );
  });

  it('streams 100,000 messages with memory that does not grow with them', { timeout: 600_000 }, async () => {
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: '+14155550190', text: 'first' },
    });
    const conversationId = r.body.conversation_id as string;
    const row = await t.ctx.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .executeTakeFirstOrThrow();
    delete (row as Record<string, unknown>).search_tsv;
    // One second apart, ending over a day ago; whole seconds, so each time is written as
    // toISOString() writes it (…:SS.000Z).
    const start = Math.floor((Date.now() - 100_000_000) / 1000);
    const seeding = Date.now();
    // The 100,000 copies of the first message are made by the database in one statement (a
    // series of numbers joined to the first message), not sent as 200 statements of 500 rows:
    // the same rows, a fraction of the time.
    const pg = storage === 'postgres';
    const made: Record<string, RawBuilder<unknown>> = {
      id: pg
        ? sql`'msg_0SEED' || lpad(g.i::text, 21, '0')`
        : sql`'msg_0SEED' || substr('000000000000000000000' || g.i, -21)`,
      text: sql`'message number ' || g.i || ' with some words to make it the size of a real one'`,
      provider_message_id: sql`null`,
      created_at: pg
        ? sql`to_char(to_timestamp(${start} + g.i) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
        : sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${start} + g.i, 'unixepoch')`,
    };
    made.updated_at = made.created_at!;
    const columns = Object.keys(row);
    const values = columns.map((c) => made[c] ?? sql`m.${sql.ref(c)}`);
    const series = pg
      ? sql`generate_series(0, 99999) as g(i)`
      : sql`(with recursive n(i) as (select 0 union all select i + 1 from n where i < 99999) select i from n) as g`;
    await sql`insert into messages (${sql.join(columns.map((c) => sql.ref(c)))})
      select ${sql.join(values)} from messages m, ${series} where m.id = ${row.id}`.execute(t.ctx.db);
    // The planner statistics autovacuum takes after a load like this one, taken now: with the
    // empty table's, PostgreSQL reads a page of the export by fetching and sorting every later
    // message of the conversation (180 ms a page, 1,000 pages) instead of walking
    // messages_conversation (under 1 ms). A conversation grows over months, autovacuum keeps up.
    if (pg) await sql`analyze messages`.execute(t.ctx.db);
    const [first, last] = await Promise.all(
      ['asc', 'desc'].map((dir) =>
        t.ctx.db
          .selectFrom('messages')
          .select(['id', 'created_at'])
          .where('id', 'like', 'msg_0SEED%')
          .orderBy('created_at', dir as 'asc')
          .executeTakeFirstOrThrow(),
      ),
    );
    // Times as toISOString() writes them; ids (the export's order) rising with the times, as ULIDs do.
    assert.equal(first!.created_at, new Date(start * 1000).toISOString());
    assert.equal(last!.created_at, new Date((start + 99_999) * 1000).toISOString());
    assert.ok(hasPrefix(first!.id, 'msg') && hasPrefix(last!.id, 'msg'), `${first!.id}, ${last!.id}`);
    console.log(`seeded 100,000 messages in ${Date.now() - seeding} ms`);
    const conv = await t.call('GET', `/v1/conversations/${conversationId}`, { key: ws.test });
    const contactId = conv.body.contact.id as string;
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const scope = { workspaceId: ws.id, livemode: false } as never;
    const stream = await contactExport(t.ctx, scope, contactId);
    let bytes = 0;
    let messages = 0;
    let early = 0;
    let peak = 0;
    let tail = '';
    let nextSample = 10_000;
    const t0 = Date.now();
    for await (const chunk of stream) {
      const text = String(chunk);
      bytes += text.length;
      messages += (tail + text).split('message number ').length - 1;
      tail = text.slice(-20);
      if (messages >= nextSample) {
        // A sample at 10,000 messages, then every 30,000.
        if (!early) early = heap();
        else peak = Math.max(peak, heap());
        nextSample += 30_000;
      }
    }
    peak = Math.max(peak, heap());
    console.log(`exported ${messages} messages, ${bytes} bytes in ${Date.now() - t0} ms`);
    assert.ok(messages >= 100_000, `${messages} messages streamed`);
    assert.ok(bytes > 30_000_000, `${bytes} bytes`);
    // The document is over 30 MB; the heap after 100,000 messages is within a few MB of the heap
    // after 10,000: one page is held at a time.
    const growth = (peak - early) / 1_048_576;
    assert.ok(growth < 12, `the heap grew ${growth.toFixed(1)} MB from 10,000 to 100,000 messages`);
  });
});
