import { zeroCounts } from '../../../src/modules/campaigns/counts.ts';
import { newId } from '../../../src/platform/ids.ts';
import type { SecurityFixture } from '../security.ts';

let n = 0;
const fixture: SecurityFixture = {
  paths: [
    '/v1/campaigns/:id',
    '/v1/campaigns/:id/start',
    '/v1/campaigns/:id/pause',
    '/v1/campaigns/:id/resume',
    '/v1/campaigns/:id/cancel',
    '/v1/campaigns/:id/recipients',
    '/v1/reports/campaigns/:id',
    '/v1/reports/campaigns/:id/recipients',
  ],
  async create(t, key) {
    const me = await t.call('GET', '/v1/me', { key });
    if (me.status !== 200) throw new Error(`campaign fixture: ${me.status} ${me.text}`);
    const aud = await t.call('POST', '/v1/audiences', { key, body: { name: 'Security fixture' } });
    if (aud.status !== 201) throw new Error(`campaign fixture audience: ${aud.status} ${aud.text}`);
    if (me.body.livemode) {
      // Live mode needs an approved template and a real WhatsApp channel: write the row directly.
      const now = new Date().toISOString();
      const id = newId('cmp');
      await t.ctx.db
        .insertInto('campaigns')
        .values({
          id,
          workspace_id: me.body.workspace.id,
          livemode: 1,
          name: 'Security fixture',
          type: 'whatsapp',
          agent_id: null,
          voice_flow_id: null,
          template_name: 'security_live',
          template_language: 'en',
          template_variables: '{}',
          audience_id: aud.body.id,
          from_address: null,
          start_at: null,
          end_at: null,
          windows: null,
          timezone: 'recipient',
          max_attempts: 3,
          retry_delay_minutes: 60,
          retry_on: '[]',
          calls_per_second: 1,
          max_concurrency: null,
          ignore_dnd: 0,
          dynamic_variables: '{}',
          status: 'draft',
          actor_type: 'api_key',
          actor_id: me.body.api_key.id,
          expanded_at: null,
          pace_cursor: null,
          started_at: null,
          paused_at: null,
          canceled_at: null,
          completed_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await t.ctx.db
        .insertInto('campaign_counts')
        .values({ campaign_id: id, ...zeroCounts() })
        .execute();
      return { id };
    }
    const name = `security_campaign_${n++}`;
    const tpl = await t.call('POST', '/v1/templates', {
      key,
      body: { name, language: 'en', category: 'utility', body: 'Hello' },
    });
    if (tpl.status !== 201) throw new Error(`campaign fixture template: ${tpl.status} ${tpl.text}`);
    const ct = await t.call('POST', '/v1/contacts', {
      key,
      body: { phone: `+9198765${String(70000 + n).padStart(5, '0')}` },
    });
    if (ct.status !== 201) throw new Error(`campaign fixture contact: ${ct.status} ${ct.text}`);
    await t.call('POST', `/v1/audiences/${aud.body.id}/contacts`, {
      key,
      body: { contact_ids: [ct.body.id] },
    });
    const res = await t.call('POST', '/v1/campaigns', {
      key,
      body: { name: 'Security fixture', type: 'whatsapp', template: name, audience_id: aud.body.id },
    });
    if (res.status !== 201) throw new Error(`campaign fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
};

export default fixture;
