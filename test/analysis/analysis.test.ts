import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentConfig, AnalysisSettings } from '../../src/modules/agents/index.ts';
import { builtinAnalysis, type Line } from '../../src/modules/analysis/builtin.ts';
import { llmAnalysis } from '../../src/modules/analysis/llm.ts';
import { salonAgent } from '../support/ai-world.ts';
import { type FakeLlm, startFakeLlm } from '../support/fake-llm.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    email: { type: 'string' },
    phone: { type: 'string' },
    date: { type: 'string', description: 'the appointment date' },
    service: { type: 'string', enum: ['haircut', 'colour', 'manicure'] },
    wants_reminder: { type: 'boolean', description: 'reminder' },
    guests: { type: 'integer', description: 'people' },
    budget: { type: 'number' },
  },
} as const;
const settings: AnalysisSettings = {
  summary: true,
  structured: schema as unknown as AnalysisSettings['structured'],
  success_criteria: ['An appointment was booked'],
};
const at = '2026-05-10T08:00:00.000Z';
const line = (role: Line['role'], text: string): Line => ({ role, text, at });

describe('built-in analysis engine', () => {
  it('extracts names, emails, phones, dates, enums, yes/no and numbers from the customer’s words', () => {
    const r = builtinAnalysis({
      timezone: 'Asia/Kolkata',
      settings,
      lines: [
        line('customer', 'Hi, my name is Asha Rao, I would like a haircut tomorrow'),
        line('agent', 'Sure! How many people are coming?'),
        line('customer', '2'),
        line('agent', 'Can I have your email and number?'),
        line('customer', 'asha@example.com and +91 98123 45678'),
        line('agent', 'Would you like a reminder before the visit?'),
        line('customer', 'yes please'),
        line('agent', 'You are booked for tomorrow at 5 PM. Thanks!'),
        line('customer', 'Thanks, great service'),
      ],
    });
    assert.deepEqual(r.data, {
      name: 'Asha Rao',
      email: 'asha@example.com',
      phone: '+919812345678',
      date: '2026-05-11',
      service: 'haircut',
      wants_reminder: true,
      guests: 2,
      budget: null,
    });
    assert.equal(r.success, true);
    assert.equal(r.sentiment, 'positive');
    assert.match(r.summary ?? '', /haircut/);
  });

  it('says null where it cannot tell, and never invents', () => {
    const r = builtinAnalysis({
      timezone: 'UTC',
      settings,
      lines: [
        line('customer', 'Do you do haircut or colour? This is ridiculous, nobody answers'),
        line('agent', 'Would you like a reminder?'),
        line('customer', 'what time do you close'),
      ],
    });
    assert.deepEqual(r.data, {
      name: null,
      email: null,
      phone: null,
      date: null,
      service: null,
      wants_reminder: null,
      guests: null,
      budget: null,
    });
    assert.equal(r.success, null);
    assert.equal(r.sentiment, 'negative');
    const empty = builtinAnalysis({ timezone: 'UTC', settings, lines: [] });
    assert.equal(empty.summary, null);
    assert.equal(empty.sentiment, null);
  });
});

describe('LLM analysis against a fake OpenAI-compatible server', () => {
  let fake: FakeLlm;
  let agent: AgentConfig;
  const lines = [line('customer', 'I am Ravi, book a manicure'), line('agent', 'Booked!')];
  before(async () => {
    fake = await startFakeLlm();
    agent = salonAgent({
      model: { provider: 'openai_compatible', name: 'llama3', baseUrl: '', apiKey: 'k' },
    });
    agent.model.baseUrl = fake.url;
  });
  after(() => fake.close());

  const good = {
    summary: 'Ravi booked a manicure.',
    data: { name: 'Ravi', service: 'manicure', guests: 1 },
    success: true,
    sentiment: 'neutral',
  };

  it('validates the answer against the schema and retries a malformed one once', async () => {
    fake.script.push(
      { content: 'Sure! Here is the analysis.' },
      { content: `\`\`\`json\n${JSON.stringify(good)}\n\`\`\`` },
    );
    const r = await llmAnalysis(agent, settings, lines, 3000);
    assert.equal(r.error, null);
    assert.equal(r.data?.service, 'manicure');
    assert.equal(r.data?.email, null, 'a field the model left out is null');
    assert.equal(r.success, true);
    assert.equal(fake.requests.length, 2);
    assert.match(JSON.stringify(fake.requests[0]!.messages), /manicure/);
  });

  it('gives nulls and the error when the answer stays invalid', async () => {
    const bad = { ...good, data: { service: 'massage', guests: 1.5 } };
    fake.script.push({ content: JSON.stringify(bad) }, { content: JSON.stringify(bad) });
    const r = await llmAnalysis(agent, settings, lines, 3000);
    assert.equal(r.summary, null);
    assert.equal(r.data?.service, null);
    assert.match(r.error ?? '', /does not validate.*service.*after a retry/);
  });

  it('records a timeout instead of waiting', async () => {
    fake.script.push({ hang: true }, { hang: true });
    const started = Date.now();
    const r = await llmAnalysis(agent, settings, lines, 200);
    assert.ok(Date.now() - started < 3000);
    assert.match(r.error ?? '', /timed out/);
  });
});

forEachStorage('analysis API', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let agentId: string;
  before(async () => {
    t = await startTestApp(storage, { env: { PARLEY_VOICE_SANDBOX_PACE: 'virtual' } });
    w = await t.workspace();
    const a = await t.call('POST', '/v1/agents', {
      key: w.test,
      body: {
        name: 'Salon',
        analysis: { structured: schema, success_criteria: ['An appointment was booked'] },
      },
    });
    assert.equal(a.status, 201, a.text);
    agentId = a.body.id;
    assert.deepEqual(a.body.analysis.structured, schema);
  });
  after(() => t.close());

  it('refuses a schema that is not an object or has a type outside the list', async () => {
    for (const structured of [
      ['name'],
      { type: 'array', items: {} },
      { type: 'object', properties: { tags: { type: 'array' } } },
      { type: 'object', properties: { size: { type: 'string', enum: [] } } },
      { type: 'object', properties: { x: { type: 'object' } } },
      // Enum values of another type than the one declared: no value could validate.
      { type: 'object', properties: { size: { type: 'string', enum: [1, 2] } } },
      { type: 'object', properties: { guests: { type: 'integer', enum: ['one', 'two'] } } },
      { type: 'object', properties: { guests: { type: 'integer', enum: [1, 2.5] } } },
    ]) {
      const r = await t.call('PATCH', `/v1/agents/${agentId}`, {
        key: w.test,
        body: { analysis: { structured } },
      });
      assert.equal(r.status, 400, JSON.stringify(structured));
      assert.equal(r.body.error.code, 'validation_failed');
      assert.ok(r.body.error.errors[0].field.startsWith('analysis.structured'), r.text);
    }
    const still = await t.call('GET', `/v1/agents/${agentId}`, { key: w.test });
    assert.deepEqual(still.body.analysis.structured, schema, 'nothing changed');
  });

  it('analyses a conversation when it is resolved, and again on request', async () => {
    const inbound = await t.call('POST', '/v1/sandbox/inbound', {
      key: w.test,
      body: { from: '+919900000111', text: 'Hi, my name is Meera. Email meera@example.com, a colour please' },
    });
    assert.equal(inbound.status, 200, inbound.text);
    const id = inbound.body.conversation_id as string;
    const closed = await t.call('POST', `/v1/conversations/${id}/close`, { key: w.test });
    assert.equal(closed.status, 200, closed.text);
    const conv = await eventually(async () => {
      const r = await t.call('GET', `/v1/conversations/${id}`, { key: w.test });
      return r.body.analysis ? r.body : null;
    });
    assert.equal(conv.analysis.engine, 'builtin');
    assert.equal(conv.analysis.data.name, 'Meera');
    assert.equal(conv.analysis.data.email, 'meera@example.com');
    assert.equal(conv.analysis.data.service, 'colour');
    assert.equal(conv.analysis.data.budget, null);
    const events = await t.ctx.db
      .selectFrom('events')
      .select('type')
      .where('object_id', '=', id)
      .where('type', '=', 'conversation.analyzed')
      .execute();
    assert.equal(events.length, 1);

    await t.call('PATCH', `/v1/agents/${agentId}`, {
      key: w.test,
      body: { analysis: { structured: { type: 'object', properties: { email: { type: 'string' } } } } },
    });
    const again = await t.call('POST', `/v1/conversations/${id}/analyze`, { key: w.test });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body.analysis.data, { email: 'meera@example.com' });
  });

  it('re-analyses a range as a job with progress; a bad range is a 400', async () => {
    const bad = await t.call('POST', `/v1/agents/${agentId}/analyze`, {
      key: w.test,
      body: { from: '2026-06-01T00:00:00Z', to: '2026-05-01T00:00:00Z' },
    });
    assert.equal(bad.status, 400);
    // A day that does not exist is refused, not rolled over into March.
    const feb30 = await t.call('POST', `/v1/agents/${agentId}/analyze`, {
      key: w.test,
      body: { from: '2026-02-30', to: '2026-03-05' },
    });
    assert.equal(feb30.status, 400, feb30.text);
    assert.equal(feb30.body.error.errors[0].field, 'from');
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    const run = await t.call('POST', `/v1/agents/${agentId}/analyze`, { key: w.test, body: { from, to } });
    assert.equal(run.status, 202, run.text);
    assert.ok(run.body.total >= 1);
    const done = await eventually(async () => {
      const r = await t.call('GET', `/v1/analysis-runs/${run.body.id}`, { key: w.test });
      return r.body.status === 'completed' ? r.body : null;
    });
    assert.equal(done.done, run.body.total);
    assert.equal(done.progress, 1);
  });

  /** A sandbox call of the agent saying `lines`, once it has ended and been analysed. */
  async function analyzedCall(to: string, lines: string[]) {
    const res = await t.call('POST', '/v1/calls', {
      key: w.test,
      body: { calls: [{ agent_id: agentId, to, sandbox: { lines, hangup_after_lines: true } }] },
    });
    assert.equal(res.status, 201, res.text);
    const id = res.body.results[0].call.id as string;
    return eventually(async () => {
      const r = await t.call('GET', `/v1/calls/${id}`, { key: w.test });
      return r.body.analysis ? r.body : null;
    });
  }

  it('analyses a call when it ends (call.analyzed), on the call and its conversation', async () => {
    const call = await analyzedCall('+919900000222', [
      'Hi, my name is Kabir, I want a manicure',
      'Thank you, bye',
    ]);
    const id = call.id as string;
    assert.equal(call.status, 'completed');
    assert.equal(call.analysis.engine, 'builtin');
    assert.match(call.analysis.summary, /Kabir/);
    const conv = await t.call('GET', `/v1/conversations/${call.conversation_id}`, { key: w.test });
    assert.deepEqual(conv.body.analysis, call.analysis);
    const events = await t.ctx.db
      .selectFrom('events')
      .select('type')
      .where('object_id', '=', id)
      .where('type', '=', 'call.analyzed')
      .execute();
    assert.equal(events.length, 1);
    const again = await t.call('POST', `/v1/calls/${id}/analyze`, { key: w.test });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.analysis.engine, 'builtin');
  });

  it('calls.csv writes each call with its analysis and data fields as the API shows them', async () => {
    const call = await analyzedCall('+919900000333', [
      'Hello, I am "Meera", a colour please, email meera@example.com',
      'Bye',
    ]);
    const id = call.id as string;
    const csv = await t.call('GET', `/v1/reports/calls.csv?agent_id=${agentId}`, { key: w.test });
    assert.equal(csv.status, 200, csv.text);
    const [header, ...rows] = parseCsv(csv.text);
    const row = rows.find((r) => r[0] === id);
    assert.ok(row, 'the call is in the file');
    const cell = (name: string) => row[header!.indexOf(name)];
    const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
    assert.equal(cell('status'), call.status);
    assert.equal(cell('to'), call.to, 'an E.164 number is written whole (a signed number is no formula)');
    assert.equal(cell('duration_seconds'), text(call.duration_seconds));
    assert.equal(cell('latency_p50_ms'), text(call.latency.p50_ms));
    assert.equal(cell('analysis_summary'), call.analysis.summary);
    assert.match(cell('analysis_summary')!, /"Meera"/, 'quotes survive the quoting');
    assert.equal(cell('analysis_success'), text(call.analysis.success));
    assert.equal(cell('analysis_sentiment'), text(call.analysis.sentiment));
    assert.equal(cell('analysis_engine'), 'builtin');
    // One column per property of the agent's schema as it is now (an earlier test left only email).
    const dataColumns = header!.filter((h) => h.startsWith('data.'));
    assert.deepEqual(dataColumns, ['data.email']);
    for (const column of dataColumns)
      assert.equal(cell(column), text(call.analysis.data?.[column.slice(5)]), column);
    assert.equal(cell('data.email'), 'meera@example.com');
  });
});

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && ch === '"') quoted = false;
    else if (quoted) field += ch;
    else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += ch;
  }
  return records;
}
