import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runPass } from '../../src/modules/campaigns/campaigns.service.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * A campaign's funnel and its drill-down: each stage lists as many recipients as the funnel
 * counts, with the same tests (the Reports page's campaign view opens these lists).
 */
forEachStorage('reports: campaign funnel drill-down', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  // 10:30 in India: the sending window is open.
  const now = new Date('2026-06-01T05:00:00Z');
  const call = (method: string, url: string, body?: unknown) => t.call(method, url, { key: ws.test, body });
  before(async () => {
    t = await startTestApp(storage, { testing: { now: () => now } });
    ws = await t.workspace({ default_country: 'IN', plan: 'growth' });
    const tpl = await call('POST', '/v1/templates', {
      name: 'reminder',
      language: 'en',
      category: 'utility',
      body: 'Hi {{name}}, your visit is due.',
    });
    assert.equal(tpl.status, 201, tpl.text);
  });
  after(() => t.close());

  it('each funnel stage lists its recipients; an unknown stage is a 400', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await call('POST', '/v1/contacts', { phone: `+91980000030${i}`, name: `Person ${i}` });
      assert.equal(c.status, 201, c.text);
      ids.push(c.body.id);
    }
    const aud = await call('POST', '/v1/audiences', { name: 'Funnel' });
    await call('POST', `/v1/audiences/${aud.body.id}/contacts`, { contact_ids: ids });
    const c = await call('POST', '/v1/campaigns', {
      name: 'Funnel',
      type: 'whatsapp',
      template: 'reminder',
      audience_id: aud.body.id,
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((await call('POST', `/v1/campaigns/${c.body.id}/start`)).status, 200);
    await runPass(t.ctx, c.body.id);
    await eventually(async () => {
      const got = await call('GET', `/v1/campaigns/${c.body.id}`);
      return got.body.status === 'completed' ? true : null;
    }, 15_000);
    const report = await call('GET', `/v1/reports/campaigns/${c.body.id}`);
    assert.equal(report.status, 200, report.text);
    assert.equal(report.body.funnel.total, 3);
    assert.equal(report.body.funnel.answered, 3, 'sent counts as answered for WhatsApp');
    for (const stage of ['total', 'attempted', 'answered', 'completed', 'success']) {
      const r = await call('GET', `/v1/reports/campaigns/${c.body.id}/recipients?stage=${stage}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.total, report.body.funnel[stage], stage);
      assert.equal(r.body.data.length, report.body.funnel[stage], stage);
    }
    const some = await call('GET', `/v1/reports/campaigns/${c.body.id}/recipients?stage=answered&limit=1`);
    assert.equal(some.body.data.length, 1);
    assert.equal(some.body.total, 3);
    const bad = await call('GET', `/v1/reports/campaigns/${c.body.id}/recipients?stage=won`);
    assert.equal(bad.status, 400, bad.text);
  });
});
