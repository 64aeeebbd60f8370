// After the build: writes dist/mcp/input-schemas.json and output-schemas.json, the input and output schemas of `parley mcp`'s tools,
// from the repository's openapi.json (the API's own request schemas), with the built schema.js.
import { readFileSync, writeFileSync } from 'node:fs';
import { buildInputSchemas, buildOutputSchemas } from '../dist/mcp/schema.js';
import { tools } from '../dist/mcp/tools.js';

const openapi = JSON.parse(readFileSync(new URL('../../../openapi.json', import.meta.url), 'utf8'));
const schemas = buildInputSchemas(openapi, tools);
writeFileSync(new URL('../dist/mcp/input-schemas.json', import.meta.url), JSON.stringify(schemas));
writeFileSync(
  new URL('../dist/mcp/output-schemas.json', import.meta.url),
  JSON.stringify(buildOutputSchemas(openapi, tools)),
);
