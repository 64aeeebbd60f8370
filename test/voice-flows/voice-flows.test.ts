import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';
import { reminderFlow } from '../support/voice-flows.ts';

forEachStorage('voice flows', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  // Monday 2026-06-01 10:00 IST.
  const NOW = new Date('2026-06-01T04:30:00Z');
  const call = (method: string, url: string, body?: unknown, key = ws.test) =>
    t.call(method, url, { key, body });

  before(async () => {
    t = await startTestApp(storage, { testing: { now: () => NOW } });
    ws = await t.workspace({ default_country: 'IN' });
    other = await t.workspace();
  });
  after(() => t.close());

  it('keeps a flow an unfinished campaign runs: 409 and nothing deleted, then deleted once the campaign is canceled', async () => {
    const flow = await call('POST', '/v1/voice-flows', reminderFlow());
    assert.equal(flow.status, 201, flow.text);
    const contact = await call('POST', '/v1/contacts', { phone: '+919811110701' });
    const audience = await call('POST', '/v1/audiences', { name: 'Reminders' });
    await call('POST', `/v1/audiences/${audience.body.id}/contacts`, { contact_ids: [contact.body.id] });
    const campaign = await call('POST', '/v1/campaigns', {
      name: 'Reminder calls',
      type: 'voice',
      voice_flow_id: flow.body.id,
      audience_id: audience.body.id,
    });
    assert.equal(campaign.status, 201, campaign.text);

    const refused = await call('DELETE', `/v1/voice-flows/${flow.body.id}`);
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.error.code, 'conflict');
    assert.match(refused.body.error.message, new RegExp(campaign.body.id));
    assert.equal(
      (await call('GET', `/v1/voice-flows/${flow.body.id}`)).status,
      200,
      'the flow is still there',
    );

    assert.equal((await call('POST', `/v1/campaigns/${campaign.body.id}/cancel`)).status, 200);
    assert.equal((await call('DELETE', `/v1/voice-flows/${flow.body.id}`)).status, 200);
    assert.equal((await call('GET', `/v1/voice-flows/${flow.body.id}`)).status, 404);
  });

  it('creates, lists, reads, changes and deletes a flow; the webhook secret is shown once', async () => {
    const created = await call('POST', '/v1/voice-flows', reminderFlow());
    assert.equal(created.status, 201, created.text);
    assert.match(created.body.id, /^vf_/);
    assert.match(created.body.webhook_secret, /^whsec_/);
    assert.equal(created.body.livemode, false);
    assert.equal(created.body.nodes.confirm.capture.kind, 'yes_no');

    const got = await call('GET', `/v1/voice-flows/${created.body.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.webhook_secret, undefined);
    assert.deepEqual(got.body.nodes, created.body.nodes);

    const list = await call('GET', '/v1/voice-flows?q=reminder');
    assert.equal(list.status, 200);
    assert.ok(list.body.data.some((f: { id: string }) => f.id === created.body.id));
    assert.equal((await call('GET', '/v1/voice-flows', undefined, ws.live)).body.meta.total, 0);
    assert.equal(
      (await call('GET', `/v1/voice-flows/${created.body.id}`, undefined, other.test)).status,
      404,
    );

    const renamed = await call('PATCH', `/v1/voice-flows/${created.body.id}`, { name: 'Reminder v2' });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.name, 'Reminder v2');

    const broken = await call('PATCH', `/v1/voice-flows/${created.body.id}`, { start: 'nowhere' });
    assert.equal(broken.status, 400);
    assert.deepEqual(
      broken.body.error.errors.map((e: { field: string }) => e.field),
      ['start'],
    );
    assert.equal((await call('GET', `/v1/voice-flows/${created.body.id}`)).body.start, 'greet');

    const del = await call('DELETE', `/v1/voice-flows/${created.body.id}`);
    assert.deepEqual(del.body, { id: created.body.id, object: 'voice_flow', deleted: true });
    assert.equal((await call('GET', `/v1/voice-flows/${created.body.id}`)).status, 404);
  });

  it('refuses a broken flow with one field error per problem, naming its JSON path, and saves nothing', async () => {
    const before = (await call('GET', '/v1/voice-flows')).body.meta.total;
    const flow = reminderFlow() as { nodes: Record<string, Record<string, unknown>> } & Record<
      string,
      unknown
    >;
    flow.nodes.route = {
      type: 'branch',
      cases: [{ when: { var: 'answer', eq: 'no' }, next: 'nowhere' }],
      else: 'thanks',
    };
    flow.nodes.orphan = { type: 'end', outcome: 'never' };
    flow.nodes.loop_a = { type: 'say', text: 'a', next: 'loop_b' };
    flow.nodes.loop_b = { type: 'say', text: 'b', next: 'loop_a' };
    flow.nodes.thanks = { type: 'say', text: 'Thanks', next: 'loop_a' };
    const res = await call('POST', '/v1/voice-flows', flow);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.code, 'validation_failed');
    const byField = Object.fromEntries(
      res.body.error.errors.map((e: { field: string; message: string }) => [e.field, e.message]),
    );
    assert.match(byField['nodes.route.cases[0].next'], /not a node/);
    assert.match(byField['nodes.orphan'], /never reached/);
    assert.match(byField['nodes.thanks'], /never ends/);
    assert.match(byField['nodes.loop_a'], /never ends/);

    const unknown = await call('POST', '/v1/voice-flows', {
      name: 'x',
      start: 'a',
      nodes: { a: { type: 'play_music', next: 'b' }, b: { type: 'end', outcome: 'done' } },
    });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.errors[0].field, 'nodes.a.type');
    assert.match(unknown.body.error.errors[0].message, /must be one of: say, ask/);

    // A transfer number must be dialable: E.164 as written, or a variable filled at run time.
    for (const to of ['not a phone', '12345', '9811112222', '+1 415 555 0100']) {
      const bad = await call('POST', '/v1/voice-flows', {
        name: 'x',
        start: 'a',
        nodes: { a: { type: 'transfer', to } },
      });
      assert.equal(bad.status, 400, `${to}: ${bad.text}`);
      assert.equal(bad.body.error.errors[0].field, 'nodes.a.to');
      assert.match(bad.body.error.errors[0].message, /E\.164/);
    }
    for (const to of ['+919811112222', '+14155550100', '{{manager_phone}}']) {
      const ok = await call('POST', '/v1/voice-flows', {
        name: 'transfer ok',
        start: 'a',
        nodes: { a: { type: 'transfer', to } },
      });
      assert.equal(ok.status, 201, `${to}: ${ok.text}`);
      assert.equal((await call('DELETE', `/v1/voice-flows/${ok.body.id}`)).status, 200);
    }

    const noCapture = await call('POST', '/v1/voice-flows', {
      name: 'x',
      start: 'a',
      nodes: { a: { type: 'ask', prompt: 'Yes?', next: 'b' }, b: { type: 'end', outcome: 'done' } },
    });
    assert.equal(noCapture.status, 400);
    assert.deepEqual(noCapture.body.error.errors, [{ field: 'nodes.a.capture', message: 'is required' }]);

    const choiceless = await call('POST', '/v1/voice-flows', {
      name: 'x',
      start: 'a',
      nodes: {
        a: { type: 'ask', prompt: 'Which?', capture: { var: 'c', kind: 'choice' }, next: 'b' },
        b: { type: 'end', outcome: 'done' },
      },
    });
    assert.equal(choiceless.status, 400);
    assert.equal(choiceless.body.error.errors[0].field, 'nodes.a.capture.choices');

    const otherAgent = await t.call('POST', '/v1/agents', { key: other.test, body: { name: 'Theirs' } });
    assert.equal(otherAgent.status, 201, otherAgent.text);
    const foreign = await call('POST', '/v1/voice-flows', {
      name: 'x',
      start: 'a',
      nodes: {
        a: { type: 'agent', agent_id: otherAgent.body.id, next: 'b' },
        b: { type: 'end', outcome: 'done' },
      },
    });
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body.error.errors[0].field, 'nodes.a.agent_id');
    assert.equal((await call('GET', '/v1/voice-flows')).body.meta.total, before);
  });

  it('test runs the flow in text: voice answers, keypad answers, no input, captures and actions', async () => {
    const flow = (await call('POST', '/v1/voice-flows', reminderFlow())).body;
    const yes = await call('POST', `/v1/voice-flows/${flow.id}/test`, {
      inputs: ['haan ji, bilkul'],
      dynamic_variables: { name: 'Asha', slot: 'tomorrow at 5 pm' },
    });
    assert.equal(yes.status, 200, yes.text);
    assert.deepEqual(yes.body.path, ['greet', 'confirm', 'route', 'thanks']);
    assert.equal(yes.body.outcome, 'confirmed');
    assert.equal(yes.body.variables.answer, 'yes');
    assert.equal(yes.body.transcript[0].text, 'Namaste Asha, this is Glow Salon.');
    assert.equal(
      yes.body.transcript[1].text,
      'Your haircut is tomorrow at 5 pm. Can you come? Say yes or no, or press 1 or 2.',
    );
    assert.deepEqual(yes.body.transcript[2], { role: 'customer', text: 'haan ji, bilkul', node: 'confirm' });
    assert.equal(yes.body.dry_run, true);
    assert.deepEqual(yes.body.unresolved_variables, []);

    // Keypad 2 is "no"; then a Hinglish date; the lead is described, not written.
    const moved = await call('POST', `/v1/voice-flows/${flow.id}/test`, {
      inputs: [{ dtmf: '2' }, 'parso shaam 6 baje'],
      dynamic_variables: { name: 'Asha', slot: 'tomorrow at 5 pm' },
    });
    assert.equal(moved.status, 200, moved.text);
    assert.deepEqual(moved.body.path, ['greet', 'confirm', 'route', 'when', 'lead', 'moved']);
    assert.equal(moved.body.variables.slot, '2026-06-03T18:00+05:30');
    assert.equal(moved.body.outcome, 'rescheduled');
    assert.deepEqual(moved.body.actions, [
      {
        node: 'lead',
        type: 'would_capture_lead',
        data: { fields: { name: 'Asha', preferred_slot: '2026-06-03T18:00+05:30' } },
      },
    ]);
    assert.equal((await call('GET', '/v1/leads')).body.meta.total, 0);

    // An answer that does not fit is asked again once; silence after that goes to on_no_input.
    const silent = await call('POST', `/v1/voice-flows/${flow.id}/test`, { inputs: ['purple elephant'] });
    assert.deepEqual(silent.body.path, ['greet', 'confirm', 'bye']);
    assert.equal(silent.body.outcome, 'no_response');
    assert.equal(silent.body.variables.name, 'there');
    assert.deepEqual(silent.body.transcript.map((e: { text: string }) => e.text).slice(2), [
      'purple elephant',
      "Sorry, I didn't catch that.",
      'Your haircut is . Can you come? Say yes or no, or press 1 or 2.'.replace('is .', 'is.'),
      '[no input]',
      'Goodbye.',
    ]);
    // `slot` was not given: it was said as nothing, and the run says so.
    assert.deepEqual(silent.body.unresolved_variables, ['slot']);

    assert.equal(
      (await call('POST', `/v1/voice-flows/${flow.id}/test`, { inputs: [], nope: 1 })).status,
      400,
    );
    assert.equal(
      (await call('POST', `/v1/voice-flows/${flow.id}/test`, { inputs: [] }, other.test)).status,
      404,
    );
  });

  it('an agent node hands the floor to the agent until its event, then the flow goes on', async () => {
    const agent = await call('POST', '/v1/agents', {
      name: 'Glow desk',
      business: {
        timezone: 'Asia/Kolkata',
        services: [{ name: 'Haircut', duration_minutes: 30, price: 500 }],
        hours: {
          mon: [{ open: '10:00', close: '19:00' }],
          tue: [{ open: '10:00', close: '19:00' }],
          wed: [{ open: '10:00', close: '19:00' }],
          thu: [{ open: '10:00', close: '19:00' }],
          fri: [{ open: '10:00', close: '19:00' }],
          sat: [{ open: '10:00', close: '19:00' }],
          sun: [],
        },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const flow = await call('POST', '/v1/voice-flows', {
      name: 'Handoff',
      start: 'hello',
      nodes: {
        hello: { type: 'say', text: 'Hi {{name}}.', next: 'talk' },
        talk: {
          type: 'agent',
          agent_id: agent.body.id,
          goal: 'Answer questions',
          max_turns: 3,
          on_event: { 'conversation.escalated': 'human' },
          next: 'bye',
        },
        human: { type: 'transfer', to: '+919811112222', say: 'Connecting you to our team.' },
        bye: { type: 'end', text: 'Bye!', outcome: 'answered' },
      },
    });
    assert.equal(flow.status, 201, flow.text);
    const res = await call('POST', `/v1/voice-flows/${flow.body.id}/test`, {
      inputs: ['How much is a haircut?', 'I want to talk to a real person'],
      dynamic_variables: { name: 'Ravi' },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.path, ['hello', 'talk', 'human']);
    assert.equal(res.body.outcome, 'transferred');
    assert.equal(res.body.ended_reason, 'transferred');
    // The agent answered the first turn itself, on the agent node.
    assert.equal(res.body.transcript[2].role, 'agent');
    assert.equal(res.body.transcript[2].node, 'talk');
    assert.ok(res.body.transcript[2].text.length > 0);
    assert.equal(res.body.transcript.at(-1).text, 'Connecting you to our team.');
  });
});
