import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('generated schema', () => {
  it('schema.d.ts is what `npm run generate` makes from the committed openapi.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-sdk-schema-'));
    try {
      const out = join(dir, 'schema.d.ts');
      try {
        execFileSync(
          process.execPath,
          [join(root, 'node_modules/openapi-typescript/bin/cli.js'), join(root, 'openapi.json'), '-o', out],
          { stdio: 'pipe' },
        );
      } catch (err) {
        const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
        assert.fail(
          `openapi-typescript cannot read openapi.json: ${stderr.split('\n').find((l) => l.includes('✘')) ?? stderr.slice(0, 500)}`,
        );
      }
      const fresh = readFileSync(out, 'utf8');
      const committed = readFileSync(join(root, 'packages/sdk/src/schema.d.ts'), 'utf8');
      assert.ok(
        committed === fresh,
        'packages/sdk/src/schema.d.ts is stale: run `npm run generate -w @parley/sdk`',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
