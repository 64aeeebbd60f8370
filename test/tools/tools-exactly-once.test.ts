import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { callTool, type Tool, type ToolRunContext, toolsByIds } from '../../src/modules/tools/index.ts';
import { type FakeBusiness, json, startFakeBusiness } from '../support/fake-business.ts';
import { forEachStorage, signal, startTestApp, type TestApp } from '../support/harness.ts';

/**
 * A write tool's call to the business's system happens once (issue 59, item 1). It is recorded
 * (status `started`, with the key it sends) before the request leaves; a reply job that runs again
 * for the same customer message (after a crash: drill/tool-crash.test.ts kills a real server)
 * finds it: a finished call answers from its record and sends nothing, a started one is sent
 * again with the same `Idempotency-Key` and `webhook-id`, never as a new call.
 */
forEachStorage('write tools are made once', (storage) => {
  let t: TestApp;
  let shop: FakeBusiness;

  before(async () => {
    shop = await startFakeBusiness();
    t = await startTestApp(storage);
  });
  after(async () => {
    await t?.close();
    await shop?.close();
  });

  /** A workspace with a `refund` write tool, and the context a reply job calls it with. */
  const setUp = async (path: string) => {
    const ws = await t.workspace();
    const r = await t.call('POST', '/v1/tools', {
      key: ws.live,
      body: {
        name: 'refund',
        description: 'Refunds an order.',
        effect: 'write',
        confirmation: 'I will refund order {{args.order_id}}. Shall I go ahead?',
        input_schema: {
          type: 'object',
          properties: { order_id: { type: 'string', description: 'the order number' } },
          required: ['order_id'],
        },
        request: { method: 'POST', url: `${shop.url}${path}`, body: { order: '{{args.order_id}}' } },
      },
    });
    assert.equal(r.status, 201, r.text);
    const scope = { workspaceId: ws.id, livemode: true };
    const [tool] = await toolsByIds(t.ctx.db, scope, [r.body.id]);
    const conversation = { id: `conv_${path.slice(1)}`, channel: 'whatsapp', variables: {} };
    const rc = (callKey?: string): ToolRunContext => ({
      scope,
      agent: { id: 'agent_1', name: 'Shop' },
      contact: null,
      conversation,
      channel: 'chat',
      source: 'chat',
      useMocks: false,
      liveWrites: true,
      actor: { type: 'ai', id: 'agent_1' },
      ...(callKey ? { callKey } : {}),
    });
    const rows = () =>
      t.ctx.db.selectFrom('tool_calls').selectAll().where('conversation_id', '=', conversation.id).execute();
    return { tool: tool as Tool, rc, rows };
  };
  const sent = (path: string) => shop.requests.filter((r) => r.path === path);

  it('a second run for the same message, while the first is still being answered, sends the same key', async () => {
    const path = '/refunds-held';
    const held = signal();
    const release = signal();
    let n = 0;
    shop.on('POST', path, async (_req, res) => {
      n++;
      if (n === 1) {
        held.resolve();
        await release.promise;
      }
      json(res, 201, { refund: 'rf_1', status: 'sent' });
    });
    const { tool, rc, rows } = await setUp(path);
    const first = callTool(t.ctx, tool, { order_id: '5531' }, rc('reply:conv:msg_1:1'));
    await held.promise;
    // The first run's request has left and waits for the business: it is on record as started.
    const started = await rows();
    assert.equal(started.length, 1);
    assert.equal(started[0]!.status, 'started');
    // The job runs again (its process died: the queue hands the job on) for the same message.
    const again = callTool(t.ctx, tool, { order_id: '5531' }, rc('reply:conv:msg_1:1'));
    await shop.received(shop.requests.length + 1);
    release.resolve();
    const [a, b] = await Promise.all([first, again]);
    assert.equal(a.ok, true);
    assert.equal(b.ok, true);
    const [one, two] = sent(path);
    assert.ok(one && two);
    assert.equal(sent(path).length, 2);
    assert.equal(two.headers['idempotency-key'], one.headers['idempotency-key']);
    assert.equal(two.headers['webhook-id'], one.headers['webhook-id']);
    assert.equal(one.headers['idempotency-key'], started[0]!.id);
    const after = await rows();
    assert.equal(after.length, 1, 'one call on record, not two');
    assert.equal(after[0]!.status, 'ok');
  });

  it('a run that finds the call answered gets its answer back and sends nothing', async () => {
    const path = '/refunds-done';
    shop.on('POST', path, (_req, res) => json(res, 201, { refund: 'rf_2', status: 'sent' }));
    const { tool, rc, rows } = await setUp(path);
    const first = await callTool(t.ctx, tool, { order_id: '7702' }, rc('reply:conv:msg_2:1'));
    assert.equal(first.ok, true);
    assert.equal(sent(path).length, 1);
    // The job died after the call and before its reply was sent: it runs again.
    const again = await callTool(t.ctx, tool, { order_id: '7702' }, rc('reply:conv:msg_2:1'));
    assert.equal(sent(path).length, 1, 'the refund was sent twice');
    assert.equal(again.ok, true);
    assert.equal(again.callId, first.callId);
    assert.deepEqual(again.result, first.result);
    // The same refund asked for again in a later message is a new call, with a key of its own.
    await callTool(t.ctx, tool, { order_id: '7702' }, rc('reply:conv:msg_3:1'));
    assert.equal(sent(path).length, 2);
    assert.notEqual(sent(path)[1]!.headers['idempotency-key'], sent(path)[0]!.headers['idempotency-key']);
    assert.deepEqual(
      (await rows()).map((c) => c.status),
      ['ok', 'ok'],
    );
  });

  it('a call left started by a crash is sent again with its key when the conversation calls the tool again', async () => {
    const path = '/refunds-cut';
    shop.on('POST', path, (_req, res) => json(res, 201, { refund: 'rf_3', status: 'sent' }));
    const { tool, rc, rows } = await setUp(path);
    // What a server killed while the business was answering leaves: the call on record as
    // started, under the key of the message it answered (drill/tool-crash.test.ts makes it for real).
    const cutId = 'tc_01JD5Z8Q4X3N2M1K0H9G8F7E6D';
    const scope = rc().scope;
    await t.ctx.db
      .insertInto('tool_calls')
      .values({
        id: cutId,
        workspace_id: scope.workspaceId,
        livemode: 1,
        tool_id: tool.id,
        tool_name: tool.name,
        conversation_id: rc().conversation!.id,
        agent_id: 'agent_1',
        source: 'chat',
        effect: 'write',
        status: 'started',
        code: null,
        message: null,
        attempts: 1,
        latency_ms: 0,
        args: JSON.stringify({ order_id: '9001' }),
        request: JSON.stringify({ method: 'POST', url: `${shop.url}${path}`, headers: {}, body: null }),
        response: null,
        result: null,
        call_key: 'another-message',
        created_at: new Date().toISOString(),
      })
      .execute();
    // The customer wrote again meanwhile (a new message, so a new key): the started call is sent
    // again with its own key and stands for this one (same arguments): no new refund.
    const o = await callTool(t.ctx, tool, { order_id: '9001' }, rc('reply:conv:msg_9:1'));
    assert.equal(o.ok, true);
    assert.equal(o.callId, cutId);
    const requests = sent(path);
    assert.equal(requests.length, 1);
    assert.equal(requests[0]!.headers['idempotency-key'], cutId);
    assert.equal(requests[0]!.headers['webhook-id'], cutId);
    const done = await rows();
    assert.equal(done.length, 1);
    assert.equal(done[0]!.status, 'ok');
    assert.equal(done[0]!.attempts, 2);
    // A different refund in the same conversation is a call of its own, once the cut one is done.
    const other = await callTool(t.ctx, tool, { order_id: '9002' }, rc('reply:conv:msg_10:1'));
    assert.notEqual(other.callId, cutId);
    assert.equal(sent(path).length, 2);
  });
});
