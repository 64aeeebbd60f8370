/**
 * Writes openapi.json from the route schemas (`npm run openapi`). The committed copy is checked
 * against a fresh generation by test/openapi.test.ts; never edit it by hand.
 */
import { writeFileSync } from 'node:fs';
import { API_VERSION, collectRoutes } from '../src/app.ts';
import { modules } from '../src/modules/index.ts';
import { buildOpenApi } from '../src/platform/http/openapi.ts';

const doc = buildOpenApi(collectRoutes(modules), { version: API_VERSION });
const file = new URL('../openapi.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
console.log(`openapi.json: ${Object.keys(doc.paths as object).length} paths`);
