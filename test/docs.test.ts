import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { API_VERSION, collectRoutes } from '../src/app.ts';
import { modules } from '../src/modules/index.ts';
import { configVariables } from '../src/platform/config.ts';
import { errorCodes } from '../src/platform/errors.ts';
import { buildOpenApi } from '../src/platform/http/openapi.ts';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

/** Rows of the markdown table whose first cell is a `code` span. */
function tableRows(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split('\n')) {
    const m = /^\| `([^`]+)` \|(.*)\|$/.exec(line.trim());
    if (m)
      rows.set(
        m[1],
        m[2].split('|').map((c) => c.trim()),
      );
  }
  return rows;
}

describe('documentation agrees with the code', () => {
  it('docs/errors.md lists exactly the error codes, with their statuses', () => {
    const rows = tableRows(read('docs/errors.md'));
    assert.deepEqual([...rows.keys()].sort(), Object.keys(errorCodes).sort());
    for (const [code, spec] of Object.entries(errorCodes)) {
      assert.equal(rows.get(code)?.[0], String(spec.status), `status of ${code}`);
    }
  });

  it('docs/configuration.md lists exactly the environment variables', () => {
    const rows = tableRows(read('docs/configuration.md'));
    assert.deepEqual([...rows.keys()].sort(), Object.keys(configVariables).sort());
  });

  it('the committed openapi.json is the one the code generates (run `npm run openapi`)', () => {
    const generated = buildOpenApi(collectRoutes(modules), { version: API_VERSION });
    const committed = JSON.parse(read('openapi.json'));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(generated)));
  });

  it('every operation, parameter and field of the OpenAPI document is described', () => {
    const doc = buildOpenApi(collectRoutes(modules), { version: API_VERSION }) as any;
    const missing: string[] = [];
    const walk = (schema: any, where: string) => {
      if (!schema || typeof schema !== 'object') return;
      for (const [name, prop] of Object.entries<any>(schema.properties ?? {})) {
        // `describe(x).nullable()` puts the description on the non-null member.
        const described =
          prop.description ||
          prop.$ref ||
          [...(prop.anyOf ?? []), ...(prop.oneOf ?? [])].some((m: any) => m.description);
        if (!described) missing.push(`${where}.${name}`);
        walk(prop, `${where}.${name}`);
      }
      if (schema.items) walk(schema.items, `${where}[]`);
      for (const key of ['anyOf', 'oneOf', 'allOf'] as const)
        for (const s of schema[key] ?? []) walk(s, where);
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
        walk(schema.additionalProperties, `${where}{}`);
    };
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const at = `${method.toUpperCase()} ${path}`;
        if (!op.summary) missing.push(`${at} (summary)`);
        for (const p of op.parameters ?? []) if (!p.description) missing.push(`${at} parameter ${p.name}`);
        walk(op.requestBody?.content?.['application/json']?.schema, `${at} body`);
        for (const [status, r] of Object.entries<any>(op.responses))
          walk(r.content?.['application/json']?.schema, `${at} ${status}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
