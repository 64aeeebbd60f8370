import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isCallScreener, isScreenerHold } from '../../src/modules/voice/engine/screener.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Call screeners and warm transfers in test mode (SPEC sections 3 and 6): the sandbox callee
 * answers as a screening assistant (`outcome: call_screener`) and the person a warm transfer
 * dials answers or not (`transfer_answer`). Calls run on virtual time.
 */
const env = { PARLEY_VOICE_SANDBOX_PACE: 'virtual' };
const terminal = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];
type Entry = { role: string; text: string; start_ms: number; end_ms: number };

describe('call screener phrases', () => {
  it('recognises screening assistants, never a person asking who is calling', () => {
    const screeners = [
      "Hi, the person you're calling is using a screening service from Google, and will get a copy of this conversation. Go ahead and say your name and why you're calling.",
      "Hi, if you record your name and reason for calling, I'll see if this person is available.",
      'Hello, the person you are calling is using Bixby text call. Please tell me why you are calling.',
      'This call is being screened. Please state your name and the reason for your call.',
      'The person you are trying to reach uses call screening. Please say your name after the tone.',
      "You've reached an automated call screening service. Please state your name and purpose of your call.",
      'Hi, I’m a virtual assistant answering for the person you’re calling. Please say your name and why you’re calling.',
    ];
    for (const s of screeners) assert.ok(isCallScreener(s), s);
    const people = [
      'Hello?',
      "Hi, who's calling?",
      'Yes, this is Priya speaking.',
      'Who is this and why are you calling me?',
      "Hello, I'm busy right now, what is it about?",
      'Can you call back later please?',
    ];
    for (const s of people) assert.ok(!isCallScreener(s), s);
    assert.ok(isScreenerHold('Thanks. Please stay on the line while I see if this person is available.'));
    assert.ok(!isScreenerHold('Hello? Who is this?'));
  });
});

forEachStorage('call screeners and warm transfers (sandbox)', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let n = 0;
  const nextNumber = () => `+1415555${String(100 + ++n).slice(-3)}5`;

  before(async () => {
    t = await startTestApp(storage, { env });
    ws = await t.workspace({ default_country: 'US' });
  });
  after(() => t.close());

  const createAgent = async (voice: Record<string, unknown>) => {
    const r = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        greeting: 'Hello, this is Glow Salon calling about your appointment.',
        voice,
      },
    });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  const place = async (
    agentId: string,
    sandbox: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ) => {
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: { calls: [{ agent_id: agentId, to: nextNumber(), sandbox, ...extra }] },
    });
    assert.equal(res.status, 201, res.text);
    const id = res.body.results[0].call.id as string;
    return eventually(async () => {
      const r = await t.call('GET', `/v1/calls/${id}`, { key: ws.test });
      return terminal.includes(r.body.status) ? r.body : null;
    }, 30_000);
  };
  const said = (c: { transcript: Entry[] }) => c.transcript.map((x) => `${x.role}: ${x.text}`);

  it('a screener answers: the agent states who and why, waits, and talks with the person who picks up', async () => {
    const agentId = await createAgent({});
    const c = await place(
      agentId,
      { outcome: 'call_screener', lines: ['Hello? Who is this?'] },
      { dynamic_variables: { name: 'Priya', purpose: "tomorrow's haircut" } },
    );
    assert.equal(c.answered_by, 'call_screener');
    const lines = said(c);
    const i = lines.findIndex((l) => l.startsWith('customer: Hi, the person you'));
    assert.ok(i >= 0, lines.join('\n'));
    assert.ok(
      lines.includes(
        "agent: Hi, this is the AI assistant of Glow Salon, calling for Priya about tomorrow's haircut. I'll hold while you let them know.",
      ),
      lines.join('\n'),
    );
    const hold = lines.indexOf(
      'customer: Thanks. Please stay on the line while I see if this person is available.',
    );
    const person = lines.indexOf('customer: Hello? Who is this?');
    assert.ok(hold > i && person > hold, lines.join('\n'));
    // Nothing said to the screener's "stay on the line"; the person hears the greeting.
    assert.equal(lines[hold + 1], 'customer: Hello? Who is this?');
    assert.equal(lines[person + 1], 'agent: [the person picked up after the call screener]');
    assert.equal(lines[person + 2], 'agent: Hello, this is Glow Salon calling about your appointment.');
    assert.notEqual(c.ended_reason, 'call_screener');
  });

  it('call_screener.message is what the screener hears; action hangup ends the call call_screener', async () => {
    const custom = await createAgent({
      call_screener: { action: 'state_purpose', message: 'This is Glow Salon for {{name}}.' },
    });
    const got = await t.call('GET', `/v1/agents/${custom}`, { key: ws.test });
    assert.deepEqual(got.body.voice.call_screener, {
      action: 'state_purpose',
      message: 'This is Glow Salon for {{name}}.',
    });
    const c1 = await place(
      custom,
      { outcome: 'call_screener', lines: ['Hi?'] },
      { dynamic_variables: { name: 'Asha' } },
    );
    assert.ok(said(c1).includes('agent: This is Glow Salon for Asha.'), said(c1).join('\n'));

    const hangup = await createAgent({ call_screener: { action: 'hangup' } });
    const c2 = await place(hangup, { outcome: 'call_screener', lines: ['Hello?'] });
    assert.equal(c2.status, 'completed');
    assert.equal(c2.ended_reason, 'call_screener');
    assert.equal(c2.answered_by, 'call_screener');
    assert.equal(
      said(c2).at(-1),
      'agent: [a call screening assistant answered: hung up (call_screener.action: hangup)]',
    );
    assert.ok(!said(c2).includes('customer: Hello?'));
  });

  it('a screener that never hands over: the call ends call_screener after the time limit, the transcript says so', async () => {
    const agentId = await createAgent({ silence_timeout_seconds: 5 });
    const c = await place(agentId, { outcome: 'call_screener', lines: [] });
    assert.equal(c.status, 'completed');
    assert.equal(c.ended_reason, 'call_screener');
    assert.equal(
      said(c).at(-1),
      'agent: [the call screener did not hand over to the person within 60 s: call ended]',
    );
    // 60 s from the screener's first words (which take about 10 s to say).
    assert.ok(c.duration_seconds >= 60 && c.duration_seconds < 90, String(c.duration_seconds));
  });

  it('answer detection does not delay the greeting to a person', async () => {
    const agentId = await createAgent({});
    const person = await place(agentId, { lines: ['Hi, yes?'] });
    const screened = await place(agentId, { outcome: 'call_screener', lines: ['Hi, yes?'] });
    assert.equal(person.answered_by, 'human');
    const greet = (c: { transcript: Entry[] }) => c.transcript.find((e) => e.role === 'agent')!;
    assert.equal(greet(person).text, 'Hello, this is Glow Salon calling about your appointment.');
    assert.equal(greet(person).start_ms, 0);
    assert.equal(greet(screened).start_ms, 0);
    // A person's first words are answered as before: no screener note, no purpose message.
    assert.ok(!said(person).some((l) => l.includes('screen')), said(person).join('\n'));
  });

  const warmAgent = (to: string, extra: Record<string, unknown> = {}) =>
    createAgent({ transfer: { to, mode: 'warm', ...extra } });
  const askForPerson = ['Can I talk to a real person please?', 'Okay, thanks'];

  it('warm transfer: hold at once, the person answers and is told, the caller is joined: transferred', async () => {
    const agentId = await warmAgent('+14155550188');
    const got = await t.call('GET', `/v1/agents/${agentId}`, { key: ws.test });
    assert.deepEqual(got.body.voice.transfer, { to: '+14155550188', mode: 'warm', summary: true });
    const c = await place(agentId, { lines: askForPerson, transfer_answer: 'answer' });
    assert.equal(c.status, 'completed');
    assert.equal(c.ended_reason, 'transferred');
    const tr = c.transcript as Entry[];
    const holdAt = tr.findIndex((e) => e.text === '[on hold: calling +14155550188 for a warm transfer]');
    assert.ok(holdAt > 0, said(c).join('\n'));
    // Hold audio starts within a second of the agent's "putting you through" line ending.
    assert.ok(tr[holdAt].start_ms - tr[holdAt - 1].end_ms < 1000);
    assert.equal(
      tr.at(-1)!.text,
      '[+14155550188 answered and was told who is calling; the caller was joined]',
    );
    assert.ok(!said(c).includes('customer: Okay, thanks'), 'the caller was on hold, then joined');
  });

  for (const [label, sandbox, to, why, told] of [
    [
      'does not answer',
      { transfer_answer: 'no_answer' },
      '+14155550188',
      'nobody answered',
      "I'm sorry, nobody picked up just now.",
    ],
    [
      'declines',
      { transfer_answer: 'decline' },
      '+14155550188',
      'the call was declined',
      "I'm sorry, they can't take the call right now.",
    ],
    ['is busy', {}, '+14155550181', 'the line was busy', "I'm sorry, their line is busy right now."],
    [
      'is invalid',
      {},
      '+14155550184',
      'the number could not be reached (invalid)',
      "I'm sorry, I couldn't get through to them.",
    ],
  ] as const) {
    it(`warm transfer where the person ${label}: the caller is told and the agent carries on`, async () => {
      const agentId = await warmAgent(to);
      const c = await place(agentId, { lines: askForPerson, ...sandbox });
      assert.notEqual(c.ended_reason, 'transferred');
      const lines = said(c);
      const note = lines.indexOf(`agent: [warm transfer to ${to} not completed: ${why}]`);
      assert.ok(note > 0, lines.join('\n'));
      assert.equal(lines[note + 1], `agent: ${told} I can keep helping you, or take a message for them.`);
      // The call goes on: the caller's next line is answered.
      assert.equal(lines[note + 2], 'customer: Okay, thanks');
      assert.ok(lines.length > note + 3, lines.join('\n'));
    });
  }

  it('cold transfer stays as it was: ends transferred at once, no hold', async () => {
    const agentId = await createAgent({ transfer: { to: '+14155550188' } });
    const got = await t.call('GET', `/v1/agents/${agentId}`, { key: ws.test });
    assert.deepEqual(got.body.voice.transfer, { to: '+14155550188', mode: 'cold', summary: true });
    const c = await place(agentId, { lines: askForPerson });
    assert.equal(c.ended_reason, 'transferred');
    assert.ok(!said(c).some((l) => l.includes('[on hold')), said(c).join('\n'));
  });

  it('bad transfer settings are a 400 naming the field, and change nothing', async () => {
    for (const [voice, field] of [
      [{ transfer: { to: '555-0188' } }, 'voice.transfer.to'],
      [{ transfer: { mode: 'warm' } }, 'voice.transfer.to'],
      [{ transfer: { to: '+14155550188', mode: 'lukewarm' } }, 'voice.transfer.mode'],
      [{ call_screener: { action: 'ignore' } }, 'voice.call_screener.action'],
    ] as const) {
      const r = await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Bad', voice } });
      assert.equal(r.status, 400, r.text);
      assert.ok(JSON.stringify(r.body).includes(field), `${field}: ${r.text}`);
    }
  });
});
