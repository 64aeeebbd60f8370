import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp } from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

/** `/readyz` warns when PARLEY_META_GRAPH_VERSION is past the end of life Meta states for it (v19.0: May 21, 2026). */
forEachStorage('WhatsApp Graph version in /readyz', (storage) => {
  let old: TestApp;
  let current: TestApp;
  before(async () => {
    old = await startTestApp(storage, {
      env: { PARLEY_META_GRAPH_VERSION: 'v19.0' },
      modules: providerTestModules(),
      testing: { now: () => new Date('2026-11-25T09:00:00Z') },
    });
    current = await startTestApp(storage, { modules: providerTestModules() });
  });
  after(async () => {
    await old?.close();
    await current?.close();
  });

  it('lists a warning for a version past its end of life; readiness is unchanged', async () => {
    const res = await old.call('GET', '/readyz');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'ready');
    assert.ok(
      res.body.warnings.some((w: string) => w.includes('v19.0') && w.includes('2026-05-21')),
      JSON.stringify(res.body.warnings),
    );
  });

  it('says nothing for the default version', async () => {
    const res = await current.call('GET', '/readyz');
    assert.equal(res.status, 200);
    assert.equal(res.body.warnings, undefined);
  });
});
