import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { agentConfig, defaultAgent, getAgentRow } from '../../src/modules/agents/agents.service.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

forEachStorage('agents', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace({ default_country: 'IN' });
    other = await t.workspace();
  });
  after(() => t.close());

  const salon = {
    name: 'Glow receptionist',
    phone_number: '98765 43210',
    instructions: 'You work for {{business_name}}.',
    model: { provider: 'openai', name: 'gpt-4o-mini', api_key: 'sk-secret-123' },
    business: {
      timezone: 'Asia/Kolkata',
      hours: { mon: [{ open: '10:00', close: '19:00' }], sun: [] },
      services: [{ name: 'Haircut', duration_minutes: 45, price: 500 }],
      holidays: ['2026-08-15'],
      buffer_minutes: 10,
    },
    lead_fields: [{ key: 'budget', label: 'Your budget' }],
  };

  describe('CRUD', () => {
    it('creates with defaults, normalises the phone and never returns the api key', async () => {
      const res = await t.call('POST', '/v1/agents', { key: ws.test, body: salon });
      assert.equal(res.status, 201, res.text);
      const a = res.body;
      assert.match(a.id, /^agt_/);
      assert.equal(a.livemode, false);
      assert.equal(a.status, 'active');
      assert.equal(a.phone_number, '+919876543210');
      assert.deepEqual(a.model, {
        provider: 'openai',
        name: 'gpt-4o-mini',
        base_url: null,
        api_key_set: true,
        tool_calling: 'auto',
        timeout_ms: null,
        fallbacks: [],
      });
      assert.ok(!res.text.includes('sk-secret-123'));
      assert.deepEqual(a.tools, ['knowledge', 'lead_capture', 'booking', 'handoff']);
      assert.deepEqual(a.business.hours.tue, []);
      assert.deepEqual(a.business.hours.mon, [{ open: '10:00', close: '19:00' }]);
      assert.match(a.business.services[0].id, /^svc_/);
      assert.equal(a.business.buffer_minutes, 10);
      assert.deepEqual(a.lead_fields, [{ key: 'budget', label: 'Your budget', required: false }]);

      const row = await t.ctx.db
        .selectFrom('agents')
        .selectAll()
        .where('id', '=', a.id)
        .executeTakeFirstOrThrow();
      assert.ok(row.model_api_key && !row.model_api_key.includes('sk-secret'));
      const cfg = agentConfig(t.ctx, row);
      assert.equal(cfg.model.apiKey, 'sk-secret-123');
      assert.equal(cfg.business.timezone, 'Asia/Kolkata');
      assert.equal(cfg.leadFields[0].key, 'budget');
    });

    it('fills defaults for a minimal agent and keeps service ids across PATCH', async () => {
      const res = await t.call('POST', '/v1/agents', { key: ws.live, body: { name: 'Minimal' } });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.model.provider, 'builtin');
      assert.equal(res.body.business.timezone, 'UTC');
      assert.deepEqual(res.body.business.hours.mon, [{ open: '09:00', close: '17:00' }]);
      const id = res.body.id;

      const p1 = await t.call('PATCH', `/v1/agents/${id}`, {
        key: ws.live,
        body: {
          business: {
            services: [
              { name: 'Consult', duration_minutes: 30 },
              { name: 'Color', duration_minutes: 90 },
            ],
          },
        },
      });
      assert.equal(p1.status, 200, p1.text);
      const [consult, color] = p1.body.business.services;
      assert.equal(p1.body.business.timezone, 'UTC', 'business merges field by field');
      const p2 = await t.call('PATCH', `/v1/agents/${id}`, {
        key: ws.live,
        body: {
          status: 'paused',
          business: {
            services: [
              { id: color.id, name: 'Colour', duration_minutes: 120 },
              { name: 'Trim', duration_minutes: 15 },
            ],
          },
        },
      });
      assert.equal(p2.status, 200, p2.text);
      assert.equal(p2.body.status, 'paused');
      assert.equal(p2.body.business.services[0].id, color.id);
      assert.equal(p2.body.business.services[0].name, 'Colour');
      assert.notEqual(p2.body.business.services[1].id, consult.id);

      const bad = await t.call('PATCH', `/v1/agents/${id}`, {
        key: ws.live,
        body: { business: { services: [{ id: consult.id, name: 'x', duration_minutes: 30 }] } },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.errors[0].field, 'business.services.0.id');
    });

    it('switching provider drops the old key; api_key null clears it', async () => {
      const a = (
        await t.call('POST', '/v1/agents', {
          key: ws.live,
          body: { name: 'K', model: { provider: 'anthropic', name: 'claude-x', api_key: 'k1' } },
        })
      ).body;
      assert.equal(a.model.api_key_set, true);
      const same = await t.call('PATCH', `/v1/agents/${a.id}`, {
        key: ws.live,
        body: { model: { name: 'claude-y' } },
      });
      assert.equal(same.body.model.api_key_set, true);
      const cleared = await t.call('PATCH', `/v1/agents/${a.id}`, {
        key: ws.live,
        body: { model: { api_key: null } },
      });
      assert.equal(cleared.body.model.api_key_set, false);
      const sw = await t.call('PATCH', `/v1/agents/${a.id}`, {
        key: ws.live,
        body: {
          model: { provider: 'openai_compatible', name: 'llama3', base_url: 'http://127.0.0.1:11434/v1' },
        },
      });
      assert.equal(sw.status, 200, sw.text);
      assert.equal(sw.body.model.base_url, 'http://127.0.0.1:11434/v1');
    });

    it('rejects bad input with the invalid fields', async () => {
      const cases: Array<[unknown, string]> = [
        [{ name: 'x', business: { timezone: 'Mars/Olympus' } }, 'business.timezone'],
        [
          { name: 'x', business: { hours: { mon: [{ open: '19:00', close: '10:00' }] } } },
          'business.hours.mon.0.close',
        ],
        [
          { name: 'x', business: { hours: { mon: [{ open: '9:00', close: '10:00' }] } } },
          'business.hours.mon.0.open',
        ],
        [{ name: 'x', business: { hours: { funday: [] } } }, 'business.hours.funday'],
        [
          {
            name: 'x',
            business: {
              hours: {
                mon: [
                  { open: '09:00', close: '12:00' },
                  { open: '11:00', close: '13:00' },
                ],
              },
            },
          },
          'business.hours.mon',
        ],
        [{ name: 'x', business: { holidays: ['2026-02-30'] } }, 'business.holidays.0'],
        [{ name: 'x', model: { provider: 'openai' } }, 'model.name'],
        [{ name: 'x', model: { provider: 'openai_compatible', name: 'm' } }, 'model.base_url'],
        [{ name: 'x', tools: ['teleport'] }, 'tools.0'],
        [{ name: 'x', phone_number: '12' }, 'phone_number'],
        [{ name: 'x', extra: 1 }, 'extra'],
        [{}, 'name'],
      ];
      for (const [body, field] of cases) {
        const res = await t.call('POST', '/v1/agents', { key: ws.live, body });
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.text}`);
        assert.equal(res.body.error.code, 'validation_failed');
        assert.ok(
          res.body.error.errors.some((e: { field: string }) => e.field === field),
          `${JSON.stringify(body)}: expected ${field} in ${JSON.stringify(res.body.error.errors)}`,
        );
      }
    });

    it('refuses a phone number another agent answers on (409) until that agent is deleted', async () => {
      const a = (
        await t.call('POST', '/v1/agents', {
          key: ws.live,
          body: { name: 'A', phone_number: '+14155550100' },
        })
      ).body;
      const dup = await t.call('POST', '/v1/agents', {
        key: ws.live,
        body: { name: 'B', phone_number: '+1 415 555 0100' },
      });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.code, 'conflict');
      // The other mode is another world.
      assert.equal(
        (
          await t.call('POST', '/v1/agents', {
            key: ws.test,
            body: { name: 'B', phone_number: '+14155550100' },
          })
        ).status,
        201,
      );
      const del = await t.call('DELETE', `/v1/agents/${a.id}`, { key: ws.live });
      assert.deepEqual(del.body, { id: a.id, object: 'agent', deleted: true });
      assert.equal((await t.call('GET', `/v1/agents/${a.id}`, { key: ws.live })).status, 404);
      assert.equal((await t.call('DELETE', `/v1/agents/${a.id}`, { key: ws.live })).status, 404);
      assert.equal(
        (
          await t.call('POST', '/v1/agents', {
            key: ws.live,
            body: { name: 'B', phone_number: '+14155550100' },
          })
        ).status,
        201,
      );
    });

    it('lists only this workspace and mode, filtered by status', async () => {
      const list = await t.call('GET', '/v1/agents?per_page=100', { key: ws.live });
      assert.equal(list.status, 200);
      assert.ok(list.body.data.every((a: { livemode: boolean }) => a.livemode === true));
      assert.ok(list.body.data.length >= 3);
      const paused = await t.call('GET', '/v1/agents?status=paused', { key: ws.live });
      assert.ok(
        paused.body.data.length >= 1 &&
          paused.body.data.every((a: { status: string }) => a.status === 'paused'),
      );
      const none = await t.call('GET', '/v1/agents', { key: other.live });
      assert.equal(none.body.meta.total, 0);
    });

    it("hides another workspace's and mode's agents", async () => {
      const a = (await t.call('POST', '/v1/agents', { key: ws.live, body: { name: 'Mine' } })).body;
      for (const key of [other.live, ws.test]) {
        assert.equal((await t.call('GET', `/v1/agents/${a.id}`, { key })).status, 404);
        assert.equal((await t.call('PATCH', `/v1/agents/${a.id}`, { key, body: { name: 'x' } })).status, 404);
        assert.equal((await t.call('DELETE', `/v1/agents/${a.id}`, { key })).status, 404);
      }
      await assert.rejects(
        getAgentRow(t.ctx.db, { workspaceId: other.id, livemode: true }, a.id),
        /No agent/,
      );
    });

    it('defaultAgent is the oldest active agent', async () => {
      const w = await t.workspace();
      assert.equal(await defaultAgent(t.ctx.db, { workspaceId: w.id, livemode: true }), undefined);
      const first = (
        await t.call('POST', '/v1/agents', { key: w.live, body: { name: 'first', status: 'paused' } })
      ).body;
      const second = (await t.call('POST', '/v1/agents', { key: w.live, body: { name: 'second' } })).body;
      await t.call('POST', '/v1/agents', { key: w.live, body: { name: 'third' } });
      assert.equal((await defaultAgent(t.ctx.db, { workspaceId: w.id, livemode: true }))?.id, second.id);
      await t.call('PATCH', `/v1/agents/${first.id}`, { key: w.live, body: { status: 'active' } });
      assert.equal((await defaultAgent(t.ctx.db, { workspaceId: w.id, livemode: true }))?.id, first.id);
    });
  });
});
