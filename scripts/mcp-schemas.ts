/**
 * Writes packages/cli/src/mcp/input-schemas.ts, the input schemas of `parley mcp`'s tools, from
 * openapi.json (run by `npm run openapi` after it). packages/cli/test/mcp.test.ts checks the
 * committed file against a fresh generation.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderInputSchemas } from '../packages/cli/src/mcp/schema.ts';
import { tools } from '../packages/cli/src/mcp/tools.ts';

const openapi = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));
const file = new URL('../packages/cli/src/mcp/input-schemas.ts', import.meta.url);
writeFileSync(file, renderInputSchemas(openapi, tools));
console.log(`packages/cli/src/mcp/input-schemas.ts: ${tools.length} tools`);
