import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recipientZones } from '../../src/modules/campaigns/windows.ts';
import { captureLead } from '../../src/modules/leads/index.ts';
import { newId } from '../../src/platform/ids.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';
import { reminderFlow } from '../support/voice-flows.ts';

/** Issue 33: what a new user's first day tripped over (timezones, field names, phone numbers). */
forEachStorage('first day', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace({ default_country: 'IN' });
  });
  after(() => t.close());
  const call = (method: string, url: string, body?: unknown) => t.call(method, url, { key: ws.test, body });
  const messageOf = (
    res: { body: { error: { errors?: Array<{ field: string; message: string }> } } },
    field: string,
  ) => res.body.error.errors?.find((e) => e.field === field)?.message ?? '';

  describe('timezones are IANA names only', () => {
    const meant: Array<[string, string]> = [
      ['BST', 'Europe/London'],
      ['EST', 'America/New_York'],
      ['IST', 'Asia/Kolkata'],
    ];
    it('an agent business timezone abbreviation is a 400 suggesting the IANA name; nothing is created', async () => {
      for (const [abbr, iana] of meant) {
        const res = await call('POST', '/v1/agents', { name: 'Tz', business: { timezone: abbr } });
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.error.code, 'validation_failed');
        assert.match(messageOf(res, 'business.timezone'), new RegExp(`did you mean ${iana}\\?`), res.text);
      }
      const list = await call('GET', '/v1/agents');
      assert.equal(list.body.data.length, 0);
      const ok = await call('POST', '/v1/agents', { name: 'Tz', business: { timezone: 'Europe/London' } });
      assert.equal(ok.status, 201, ok.text);
      const patch = await call('PATCH', `/v1/agents/${ok.body.id}`, { business: { timezone: 'BST' } });
      assert.equal(patch.status, 400, patch.text);
      assert.match(messageOf(patch, 'business.timezone'), /Europe\/London/);
      const del = await call('DELETE', `/v1/agents/${ok.body.id}`);
      assert.equal(del.status, 200, del.text);
    });

    it('a campaign schedule and a voice flow refuse abbreviations the same way', async () => {
      const camp = await call('POST', '/v1/campaigns', {
        name: 'Tz',
        type: 'whatsapp',
        template: 'reminder',
        audience_id: newId('aud'),
        schedule: { timezone: 'EST' },
      });
      assert.equal(camp.status, 400, camp.text);
      assert.match(messageOf(camp, 'schedule.timezone'), /did you mean America\/New_York\?/);
      const flow = await call('POST', '/v1/voice-flows', { ...reminderFlow(), timezone: 'IST' });
      assert.equal(flow.status, 400, flow.text);
      assert.match(messageOf(flow, 'timezone'), /did you mean Asia\/Kolkata\?/);
      const bare = await call('POST', '/v1/voice-flows', { ...reminderFlow(), timezone: 'EST5EDT' });
      assert.equal(bare.status, 400, bare.text);
      assert.match(messageOf(bare, 'timezone'), /not an IANA timezone/);
    });

    it("a contact's timezone attribute that is an abbreviation is not read as a zone (BST is not Dhaka)", () => {
      assert.deepEqual(recipientZones('+447700900123', 'BST').zones, ['Europe/London']);
      assert.notEqual(recipientZones('+447700900123', 'BST').source, 'contact');
      assert.equal(recipientZones('+447700900123', 'Europe/London').source, 'contact');
    });
  });

  describe('field names from other platforms get a hint, unknown ids are not found', () => {
    it('names the field Parley expects (alias table, then the nearest name) and creates nothing', async () => {
      const contact = await call('POST', '/v1/contacts', { phoneNumber: '+14155550123', nmae: 'Asha' });
      assert.equal(contact.status, 400, contact.text);
      assert.equal(messageOf(contact, 'phoneNumber'), 'is not a known field: did you mean `phone`?');
      assert.equal(messageOf(contact, 'nmae'), 'is not a known field: did you mean `name`?');
      const msg = await call('POST', '/v1/messages', {
        phoneNumber: '+14155550123',
        body: 'Hi',
        agentId: newId('agt'),
      });
      assert.equal(msg.status, 400, msg.text);
      assert.equal(messageOf(msg, 'phoneNumber'), 'is not a known field: did you mean `to`?');
      assert.equal(messageOf(msg, 'body'), 'is not a known field: did you mean `text`?');
      assert.equal(messageOf(msg, 'agentId'), 'is not a known field: did you mean `agent_id`?');
      const assign = await call('POST', `/v1/conversations/${newId('conv')}/assign`, {
        agent_id: newId('usr'),
      });
      assert.equal(assign.status, 400, assign.text);
      assert.equal(messageOf(assign, 'agent_id'), 'is not a known field: did you mean `user_id`?');
      const far = await call('POST', '/v1/contacts', { phone: '+14155550123', zzzzqqq: 1 });
      assert.equal(messageOf(far, 'zzzzqqq'), 'is not a known field');
      const contacts = await call('GET', '/v1/contacts');
      assert.equal(contacts.body.data.length, 0);
    });

    it('an unknown id with the right prefix is a 404 not_found; a malformed one keeps the format error', async () => {
      const path = await call('GET', '/v1/agents/agt_nope');
      assert.equal(path.status, 404, path.text);
      assert.equal(path.body.error.code, 'not_found');
      assert.doesNotMatch(path.body.error.message, /must be|starting with/);
      assert.match(path.body.error.message, /agt_nope/);
      const body = await call('POST', '/v1/messages', {
        to: '+14155550123',
        text: 'Hi',
        agent_id: 'agt_nope',
      });
      assert.equal(body.status, 404, body.text);
      assert.equal(body.body.error.code, 'not_found');
      assert.match(body.body.error.message, /agent_id agt_nope does not exist/);
      const malformed = await call('POST', '/v1/messages', {
        to: '+14155550123',
        text: 'Hi',
        agent_id: 'nope',
      });
      assert.equal(malformed.status, 400, malformed.text);
      assert.equal(messageOf(malformed, 'agent_id'), 'must be an id starting with agt_');
      const wrongKind = await call('POST', '/v1/messages', {
        to: '+14155550123',
        text: 'Hi',
        agent_id: 'usr_nope',
      });
      assert.equal(wrongKind.status, 400, wrongKind.text);
    });
  });

  describe('a number without its country code', () => {
    it('a national number that is not plainly one of the default country is a 400 asking for the country code', async () => {
      const bad = await call('POST', '/v1/contacts', { phone: '4155550100', name: 'Sam' });
      assert.equal(bad.status, 400, bad.text);
      assert.match(messageOf(bad, 'phone'), /give the country code, e\.g\. \+<country code> 4155550100/);
      const list = await call('GET', '/v1/contacts?q=4155550100');
      assert.equal(list.body.data.length, 0, 'no +914155550100 contact was made');
      const msg = await call('POST', '/v1/messages', { to: '4155550100', text: 'Hi', channel: 'sms' });
      assert.equal(msg.status, 400, msg.text);
      assert.match(messageOf(msg, 'to'), /give the country code/);
      const lead = await call('POST', '/v1/leads', { phone: '4155550100', name: 'Sam' });
      assert.equal(lead.status, 400, lead.text);
      assert.match(messageOf(lead, 'phone'), /country code/);
      // An Indian mobile, a landline with its trunk 0 and any number with + are read as before.
      for (const [phone, e164] of [
        ['98765 43210', '+919876543210'],
        ['080 4155 0100', '+918041550100'],
        ['+1 415 555 0100', '+14155550100'],
      ]) {
        const ok = await call('POST', '/v1/contacts', { phone });
        assert.equal(ok.status, 201, ok.text);
        assert.equal(ok.body.phone, e164);
      }
    });
  });

  describe('a calls batch where no call is placed', () => {
    it("the Oration guide's example with `from` in test mode is a 4xx with each item's error; one placed call is a 201", async () => {
      const agent = await call('POST', '/v1/agents', { name: 'Caller' });
      assert.equal(agent.status, 201, agent.text);
      const item = {
        agent_id: agent.body.id,
        to: '+14155550100',
        from: '+14155550999',
        dynamic_variables: { firstName: 'Ava', plan: 'premium' },
        ignore_dnd: true,
        identifier: 'crm-contact-1024',
      };
      const res = await call('POST', '/v1/calls', { calls: [item] });
      assert.equal(res.status, 422, res.text);
      assert.equal(res.body.error.code, 'channel_not_configured');
      assert.match(res.body.error.message, /No call was placed/);
      assert.deepEqual(
        res.body.error.items.map((e: { code: string }) => e.code),
        ['channel_not_configured'],
      );
      assert.ok(res.headers['x-concurrency-limit'] !== undefined, 'the concurrency headers are still sent');
      const two = await call('POST', '/v1/calls', { calls: [item, { ...item, to: 'nope' }] });
      assert.equal(two.status, 400, two.text);
      assert.deepEqual(
        two.body.error.items.map((e: { index: number; code: string }) => [e.index, e.code]),
        [
          [0, 'channel_not_configured'],
          [1, 'validation_failed'],
        ],
      );
      assert.ok(
        two.body.error.errors.some((e: { field: string }) => e.field === 'calls[1].to'),
        two.text,
      );
      const none = await call('GET', '/v1/calls?identifier=crm-contact-1024');
      assert.equal(none.body.data.length, 0);
      const { from: _from, ...withoutFrom } = item;
      const mixed = await call('POST', '/v1/calls', {
        calls: [item, { ...withoutFrom, sandbox: { outcome: 'busy' } }],
      });
      assert.equal(mixed.status, 201, mixed.text);
      assert.equal(mixed.body.results.length, 1);
      assert.equal(mixed.body.errors[0].code, 'channel_not_configured');
    });
  });

  describe('lead.qualified for leads the AI captures', () => {
    it("fires once the agent's required lead fields are captured, not before", async () => {
      const agent = await call('POST', '/v1/agents', {
        name: 'Leads',
        lead_fields: [
          { key: 'budget', label: 'Budget', required: true },
          { key: 'city', label: 'City', required: true },
          { key: 'notes', label: 'Notes' },
        ],
      });
      assert.equal(agent.status, 201, agent.text);
      const scope = { workspaceId: ws.id, livemode: false, defaultCountry: 'IN' };
      const ai = { type: 'ai' as const, id: agent.body.id };
      const base = { agent_id: agent.body.id, phone: '+919876500011', name: 'Ravi' };
      const first = await captureLead(t.ctx, scope, { ...base, fields: { budget: '50L' } }, ai);
      assert.equal(first.lead.status, 'new');
      const second = await captureLead(t.ctx, scope, { ...base, fields: { city: 'Pune' } }, ai);
      assert.equal(second.lead.id, first.lead.id);
      assert.equal(second.lead.status, 'qualified');
      const events = await call('GET', '/v1/events?type=lead.qualified');
      const ofLead = events.body.data.filter((e: { data: { id: string } }) => e.data.id === first.lead.id);
      assert.equal(ofLead.length, 1, events.text);
      const third = await captureLead(t.ctx, scope, { ...base, fields: { notes: 'call after 6' } }, ai);
      assert.equal(third.lead.status, 'qualified');
      const again = await call('GET', '/v1/events?type=lead.qualified');
      assert.equal(
        again.body.data.filter((e: { data: { id: string } }) => e.data.id === first.lead.id).length,
        1,
      );
    });
  });
});
