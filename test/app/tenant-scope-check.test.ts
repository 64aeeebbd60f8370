// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the samples below are source text, with SQL templates in it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

/**
 * The tenant filter is written once, in src/platform/db/scope.ts (`tenant`, `inScope`,
 * `inPartialScope`, `scopeSql`, `scopeOf`). A workspace or mode filter written by hand anywhere
 * else in src/ fails this check. The source is parsed (not grepped), so the check sees:
 * - a comparison on the column in any builder call, with or without a table or alias:
 *   `.where('livemode', '=', …)`, `.where('c.workspace_id', 'in', …)`, `eb('livemode', '=', …)`,
 *   `.on('a.workspace_id', '=', 'b.workspace_id')`, `.onRef(…)`;
 * - an object filter naming the column: `eb.and({ workspace_id: …, livemode: … })`;
 * - SQL text comparing the column: sql`… WHERE c.livemode = ${lm}`, `'livemode in (0, 1)'`.
 */
const root = new URL('../..', import.meta.url).pathname;
const HELPER = 'src/platform/db/scope.ts';
const COLUMN = /^(?:\w+\.)?(?:workspace_id|livemode)$/;
const OPERATOR = /^(?:=|==|!=|<>|<|>|<=|>=|in|not in|is|is not|like)$/i;
const SQL_FILTER = /\b(?:workspace_id|livemode)\b["`]?\s*(?:=(?![=>])|<>|!=|\bin\b|\bis\b)/i;
const FILTER_CALLS = new Set(['where', 'and', 'or', 'having', 'on']);

/** The hand-written scope filters in one file's text, as `line: text`. */
function handWrittenScopeFilters(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const lines = text.split('\n');
  const hitLines = new Set<number>();
  const hit = (at: number) => hitLines.add(source.getLineAndCharacterOfPosition(at).line);
  const calleeName = (call: ts.CallExpression) => {
    const e = call.expression;
    if (ts.isIdentifier(e)) return e.text;
    if (ts.isPropertyAccessExpression(e)) return e.name.text;
    return undefined;
  };
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const [first, second] = node.arguments;
      // (column, operator, value): Kysely's comparison, whatever the builder is called.
      if (
        first &&
        second &&
        ts.isStringLiteralLike(first) &&
        COLUMN.test(first.text) &&
        ts.isStringLiteralLike(second) &&
        OPERATOR.test(second.text)
      )
        hit(first.getStart(source));
      // ({ workspace_id: …, livemode: … }): Kysely's object filter.
      else if (
        first &&
        ts.isObjectLiteralExpression(first) &&
        FILTER_CALLS.has(calleeName(node) ?? '') &&
        first.properties.some((p) => p.name && COLUMN.test(p.name.getText(source).replace(/['"]/g, '')))
      )
        hit(first.getStart(source));
    } else if (
      (ts.isStringLiteral(node) ||
        ts.isNoSubstitutionTemplateLiteral(node) ||
        ts.isTemplateHead(node) ||
        ts.isTemplateMiddle(node) ||
        ts.isTemplateTail(node)) &&
      SQL_FILTER.test(node.text)
    ) {
      const raw = node.getText(source);
      hit(node.getStart(source) + Math.max(0, raw.search(SQL_FILTER)));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...hitLines].sort((a, b) => a - b).map((line) => `${line + 1}: ${lines[line]?.trim()}`);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.includes('migrations')
      ? [path]
      : [];
  });
}

it('no query outside the tenant-scope helper filters workspace and mode by hand', () => {
  const offenders: string[] = [];
  const files = sourceFiles(join(root, 'src'));
  assert.ok(files.length > 100, `expected the whole src/ tree, read ${files.length} files`);
  for (const path of files) {
    const file = relative(root, path);
    if (file === HELPER) continue;
    for (const h of handWrittenScopeFilters(file, readFileSync(path, 'utf8'))) offenders.push(`${file}:${h}`);
  }
  assert.deepEqual(
    offenders,
    [],
    `use tenant(db, scope) / inScope(scope, table) / scopeSql(scope, table) from ${HELPER} instead of a hand-written workspace or mode filter`,
  );
});

describe('the check itself', () => {
  const lines = (text: string) =>
    handWrittenScopeFilters('sample.ts', text).map((h) => Number(h.split(':')[0]));

  it('finds each hand-written form', () => {
    const sample = [
      /* 1 */ `db.selectFrom('a').where('livemode', '=', 1)`,
      /* 2 */ `db.selectFrom('a as x').where('x.workspace_id', '=', ws)`,
      /* 3 */ `db.selectFrom('a').where("livemode", "in", [0, 1])`,
      /* 4 */ `db.selectFrom('a').where((eb) => eb('r.livemode', '=', lm))`,
      /* 5 */ `db.selectFrom('a').where((e) => e.and({ workspace_id: ws, livemode: 1 }))`,
      /* 6 */ 'sql`SELECT 1 FROM a c WHERE c.workspace_id = ${ws} AND c.livemode = ${lm}`',
      /* 7 */ `sql.raw('select 1 from a where livemode in (0, 1)')`,
      /* 8 */ `db.selectFrom('a').innerJoin('b', (j) => j.onRef('a.workspace_id', '=', 'b.workspace_id'))`,
      /* 9 */ 'sql`select id from t where id = ${id}',
      /* 10 */ '  and livemode = ${lm}`',
    ].join('\n');
    assert.deepEqual(lines(sample), [1, 2, 3, 4, 5, 6, 7, 8, 10]);
  });

  it('passes the helper and code that only names the columns', () => {
    const sample = [
      `tenant(db, scope).selectFrom('a').where('status', '=', 'open')`,
      `db.selectFrom('a').innerJoin('b', 'b.id', 'a.b_id').where(inScope(scope, 'b'))`,
      'sql`SELECT 1 FROM a c WHERE ${scopeSql(scope, "c")} AND c.kind = ${k}`',
      `db.insertInto('a').values({ workspace_id: ws, livemode: 1 }).onConflict((oc) => oc.columns(['workspace_id', 'livemode']).doNothing())`,
      `const s = { workspaceId: row.workspace_id, livemode: row.livemode === 1 }; livemode = payload.lm;`,
      'const key = `${scope.workspaceId}:${scope.livemode ? 1 : 0}`; // where livemode = 1 in a comment',
      `db.selectFrom('users').select(['users.livemode', 'workspaces.id as workspace_id'])`,
      'sql`on conflict (workspace_id, livemode, phone) do nothing`',
    ].join('\n');
    assert.deepEqual(lines(sample), []);
  });
});
