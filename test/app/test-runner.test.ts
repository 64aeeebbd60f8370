import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { testsForChange } from '../../scripts/test-changed.ts';
import { layerLines, layerOf } from '../../scripts/test-shards.ts';
import { moduleClosure } from '../support/modules.ts';

const root = join(import.meta.dirname, '..', '..');

/** npm test's layers, its --changed mode and the module harness's choice of modules (issue 65). */
describe('the test runner: layers, --changed and module closures', () => {
  it('puts each file in its layer and counts the layers apart', () => {
    assert.equal(layerOf('src/modules/conversations/routing/routing.units.test.ts'), 'unit');
    assert.equal(layerOf('test/conversations/routing.module.test.ts'), 'module');
    assert.equal(layerOf('test/conversations/routing.test.ts'), 'http');
    assert.equal(layerOf('packages/cli/test/cli.test.ts'), 'http');
    const row = (file: string, pass: number, fail = 0, skipped = 0) => ({
      file: join(root, file),
      topLevelMs: 1500,
      tests: pass + fail + skipped,
      pass,
      fail,
      skipped,
      todo: 0,
    });
    const lines = layerLines([
      row('src/a.test.ts', 3),
      row('test/x/a.module.test.ts', 2, 1),
      row('test/x/b.module.test.ts', 1, 0, 1),
      row('test/x/c.test.ts', 5),
    ]);
    assert.deepEqual(lines, [
      '▸ layer unit   files 1, tests 3: pass 3, fail 0, skipped 0; 1.5 s of test time',
      '▸ layer module files 2, tests 5: pass 3, fail 1, skipped 1; 3.0 s of test time',
      '▸ layer http   files 1, tests 5: pass 5, fail 0, skipped 0; 1.5 s of test time',
    ]);
  });

  it('--changed: a module file picks its folders, its importers and its namesakes; platform files are named', () => {
    const tests = [
      'src/modules/users/users.totp.test.ts',
      'test/users/users.test.ts',
      'test/conversations/routing.module.test.ts',
      'test/conversations/conversations.test.ts',
      'test/voice/calls-media.test.ts',
    ];
    const { picked, modules, unmapped } = testsForChange(
      root,
      ['src/modules/users/availability.ts', 'src/platform/events.ts', 'test/voice/calls-media.test.ts'],
      tests,
    );
    assert.deepEqual(modules, ['users']);
    assert.deepEqual(Object.fromEntries(picked), {
      'test/voice/calls-media.test.ts': 'changed',
      'src/modules/users/users.totp.test.ts': 'users',
      'test/users/users.test.ts': 'users',
      // It imports src/modules/users/ (createUser, setAvailability).
      'test/conversations/routing.module.test.ts': 'users',
    });
    assert.deepEqual(unmapped, ['src/platform/events.ts']);
  });

  it('the module harness starts the modules named and those they import, in the app order', () => {
    const names = moduleClosure(['conversations']).map((m) => m.name);
    assert.deepEqual(names.slice(0, 1), ['workspaces'], 'every world makes workspaces');
    for (const needed of ['contacts', 'users', 'channels', 'conversations'])
      assert.ok(names.includes(needed), needed);
    for (const left of ['ai', 'voice', 'webhooks', 'campaigns']) assert.ok(!names.includes(left), left);
    assert.throws(() => moduleClosure(['nope']), /no module named nope/);
  });
});
