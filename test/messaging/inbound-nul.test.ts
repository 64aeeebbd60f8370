import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { processInboundJob } from '../../src/modules/channels/providers.inbound.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

/**
 * A NUL byte (U+0000) in what a provider sends never loses the message: PostgreSQL cannot store
 * it, so it is stripped at the boundary for every content type (raw MIME, multipart, JSON). A
 * stored payload that still cannot be processed becomes a visible dead letter: its row's error,
 * an error log line and `parley_inbound_dead_letters_total`.
 */
forEachStorage('inbound payloads with a NUL byte', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let channelId: string;
  let token: string;

  before(async () => {
    t = await startTestApp(storage, { modules: providerTestModules() });
    ws = await t.workspace({ default_country: 'US' });
    const res = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'email',
        provider: 'smtp',
        address: 'mary@example.net',
        credentials: {
          host: '127.0.0.1',
          port: 2525,
          username: 'relay',
          password: 'pw',
          from: 'mary@example.net',
        },
      },
    });
    assert.equal(res.status, 201, res.text);
    channelId = res.body.id;
    token = res.body.inbound_token;
  });
  after(() => t.close());

  const post = (payload: Buffer | string, contentType: string) =>
    t.call('POST', `/hooks/email/${channelId}`, {
      payload,
      headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
    });
  const byProviderId = (pid: string) =>
    t.ctx.db
      .selectFrom('messages')
      .selectAll()
      .where('channel_id', '=', channelId)
      .where('provider_message_id', '=', pid)
      .executeTakeFirst();
  const mime = (id: string, subject: string, body: string) =>
    Buffer.from(
      `From: John Doe <jdoe@machine.example>\r\nTo: Mary Smith <mary@example.net>\r\nSubject: ${subject}\r\nDate: Fri, 21 Nov 1997 09:55:06 -0600\r\nMessage-ID: <${id}>\r\n\r\n${body}\r\n`,
      'binary',
    );

  it('raw MIME (message/rfc822) with a NUL in the subject and body is stored without it', async () => {
    const res = await post(
      mime('nul-1@machine.example', 'Hel\u0000lo', 'Say\u0000 hello.'),
      'message/rfc822',
    );
    assert.equal(res.status, 200, res.text);
    const m = await eventually(() => byProviderId('<nul-1@machine.example>'), 10_000);
    assert.ok(!m.text?.includes('\u0000'));
    assert.match(m.text ?? '', /Say hello\./);
  });

  it('multipart (SendGrid raw mode) with a NUL in the message is stored without it', async () => {
    const form = new FormData();
    form.append('email', mime('nul-2@machine.example', 'Hi', 'Two\u0000 parts.').toString('binary'));
    form.append('to', 'mary@example.net');
    const req = new Request('http://relay.invalid/', { method: 'POST', body: form });
    const res = await post(Buffer.from(await req.arrayBuffer()), req.headers.get('content-type') as string);
    assert.equal(res.status, 200, res.text);
    const m = await eventually(() => byProviderId('<nul-2@machine.example>'), 10_000);
    assert.match(m.text ?? '', /Two parts\./);
  });

  it('a stored payload that cannot be processed is a dead letter: row state, metric, log', async () => {
    const id = `inb_dead${storage}`;
    const channel = await t.ctx.db
      .selectFrom('channels')
      .selectAll()
      .where('id', '=', channelId)
      .executeTakeFirstOrThrow();
    await t.ctx.db
      .insertInto('provider_inbound')
      .values({
        id,
        channel_id: channelId,
        workspace_id: channel.workspace_id,
        livemode: 1,
        provider: 'smtp',
        kind: 'email',
        content_type: 'application/json',
        raw_body: '{"not": json',
        body_sha256: `dead-${storage}`,
        received_at: new Date().toISOString(),
        processed_at: null,
        error: null,
      })
      .execute();
    await t.ctx.queue.enqueue(t.ctx.db, processInboundJob, { ids: [id] });
    t.ctx.queue.kick();
    const row = await eventually(async () => {
      const r = await t.ctx.db
        .selectFrom('provider_inbound')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return r?.processed_at ? r : null;
    }, 10_000);
    assert.match(row.error ?? '', /^dead_letter: unparseable/);
    const metrics = await t.call('GET', '/metrics');
    assert.match(metrics.text, /parley_inbound_dead_letters_total\{provider="smtp"\} 1/);
  });
});
