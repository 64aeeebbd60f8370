import { existsSync, readFileSync } from 'node:fs';
import { buildInputSchemas, buildOutputSchemas, type JsonSchema } from './schema.ts';
import { tools } from './tools.ts';

/**
 * Every tool's input schema, by tool name: from dist/mcp/input-schemas.json, which the build
 * writes from openapi.json, or, running from the repository's source, from its openapi.json
 * itself, so the tools always take what the API's schemas take.
 */
export function loadInputSchemas(): Record<string, JsonSchema> {
  const built = new URL('./input-schemas.json', import.meta.url);
  if (existsSync(built)) return JSON.parse(readFileSync(built, 'utf8'));
  const openapi = JSON.parse(readFileSync(new URL('../../../../openapi.json', import.meta.url), 'utf8'));
  return buildInputSchemas(openapi, tools);
}

/** Every tool's output schema where it has one (schema.ts), built and loaded as the input schemas are. */
export function loadOutputSchemas(): Record<string, JsonSchema> {
  const built = new URL('./output-schemas.json', import.meta.url);
  if (existsSync(built)) return JSON.parse(readFileSync(built, 'utf8'));
  const openapi = JSON.parse(readFileSync(new URL('../../../../openapi.json', import.meta.url), 'utf8'));
  return buildOutputSchemas(openapi, tools);
}
