import { newId } from '../../../src/platform/ids.ts';
import type { SecurityFixture } from '../security.ts';

let n = 0;
const fixture: SecurityFixture = {
  paths: ['/v1/broadcasts/:id', '/v1/broadcasts/:id/cancel', '/v1/broadcasts/:id/recipients'],
  async create(t, key) {
    const me = await t.call('GET', '/v1/me', { key });
    if (me.status !== 200) throw new Error(`broadcast fixture: ${me.status} ${me.text}`);
    if (!me.body.livemode) {
      const name = `security_broadcast_${n++}`;
      const tpl = await t.call('POST', '/v1/templates', {
        key,
        body: { name, language: 'en', category: 'marketing', body: 'Hello' },
      });
      if (tpl.status !== 201) throw new Error(`broadcast fixture template: ${tpl.status} ${tpl.text}`);
      // Scheduled far ahead, so the object stays the same while the suite probes it.
      const res = await t.call('POST', '/v1/broadcasts', {
        key,
        body: {
          name: 'Security fixture',
          template: name,
          phones: ['+919876500001'],
          send_at: new Date(Date.now() + 86_400_000).toISOString(),
        },
      });
      if (res.status !== 202) throw new Error(`broadcast fixture: ${res.status} ${res.text}`);
      return { id: res.body.id };
    }
    // Live mode needs an approved template and a real WhatsApp channel: write the row directly.
    const now = new Date().toISOString();
    const id = newId('bc');
    await t.ctx.db
      .insertInto('broadcasts')
      .values({
        id,
        workspace_id: me.body.workspace.id,
        livemode: 1,
        name: 'Security fixture',
        template_name: 'security_live',
        template_language: 'en',
        variables: '{}',
        source: 'phones',
        audience_id: null,
        source_list: '["+919876500001"]',
        from_address: null,
        send_at: new Date(Date.now() + 86_400_000).toISOString(),
        status: 'scheduled',
        actor_type: 'api_key',
        actor_id: me.body.api_key.id,
        error_code: null,
        error_message: null,
        expanded_at: null,
        started_at: null,
        cancelled_at: null,
        completed_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return { id };
  },
};

export default fixture;
