/**
 * Makes the Kubernetes JSON Schemas that test/deploy/kubernetes.test.ts validates deploy/kubernetes/
 * against, from a Kubernetes OpenAPI v2 document (its `definitions`), one file per kind:
 * standalone (every `$ref` inlined, so each file validates alone, offline) and strict (an object
 * with listed properties takes no other field, so a misspelt or misplaced field fails), as
 * yannh/kubernetes-json-schema's `-standalone-strict` files are. Descriptions, `format` and the
 * `x-kubernetes-*` annotations are left out (the validator needs none of them);
 * IntOrString becomes a string or an integer, Quantity a string or a number, as the API server takes them.
 *
 *   node scripts/k8s-schemas.ts <swagger.json> <out dir>
 *
 * test/fixtures/schemas/README.md says which document the files in the repository were made from.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Schema = { [key: string]: unknown };

/** The kinds deploy/kubernetes/ uses: definition name → file (yannh's naming). */
export const KINDS: Readonly<Record<string, string>> = {
  'io.k8s.api.apps.v1.Deployment': 'deployment-apps-v1.json',
  'io.k8s.api.core.v1.Service': 'service-v1.json',
  'io.k8s.api.core.v1.ConfigMap': 'configmap-v1.json',
  'io.k8s.api.core.v1.Secret': 'secret-v1.json',
  'io.k8s.api.core.v1.PersistentVolumeClaim': 'persistentvolumeclaim-v1.json',
};

export function standaloneStrict(definitions: Record<string, Schema>, name: string): Schema {
  const expand = (schema: Schema, stack: string[]): Schema => {
    const ref = schema.$ref as string | undefined;
    if (ref) {
      const target = ref.replace('#/definitions/', '');
      if (target.endsWith('.util.intstr.IntOrString'))
        return { oneOf: [{ type: 'string' }, { type: 'integer' }] };
      if (target.endsWith('.api.resource.Quantity'))
        return { oneOf: [{ type: 'string' }, { type: 'number' }] };
      // A recursive type (none in the kinds above) is left open rather than expanded forever.
      if (stack.includes(target)) return {};
      const def = definitions[target];
      if (!def) throw new Error(`${ref} is not defined`);
      return expand(def, [...stack, target]);
    }
    const out: Schema = {};
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'description' || key === 'format' || key.startsWith('x-')) continue;
      if (key === 'properties') {
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, expand(v, stack)]),
        );
      } else if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object') {
        out[key] = expand(value as Schema, stack);
      } else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
        out[key] = (value as Schema[]).map((v) => expand(v, stack));
      } else {
        out[key] = value;
      }
    }
    if (out.properties) {
      out.type ??= 'object';
      out.additionalProperties ??= false;
    }
    return out;
  };
  const def = definitions[name];
  if (!def) throw new Error(`${name} is not defined`);
  const schema = expand(def, [name]);
  const [gvk] = (def['x-kubernetes-group-version-kind'] ?? []) as Array<{
    group: string;
    version: string;
    kind: string;
  }>;
  if (!gvk) throw new Error(`${name} is not a kind`);
  const props = schema.properties as Record<string, Schema>;
  props.apiVersion = { type: 'string', enum: [gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version] };
  props.kind = { type: 'string', enum: [gvk.kind] };
  schema.required = [
    ...new Set([...((schema.required as string[]) ?? []), 'apiVersion', 'kind', 'metadata']),
  ];
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...schema };
}

if (import.meta.main) {
  const [source, outDir] = process.argv.slice(2);
  if (!source || !outDir) {
    console.error('usage: node scripts/k8s-schemas.ts <swagger.json> <out dir>');
    process.exit(1);
  }
  const { definitions } = JSON.parse(readFileSync(source, 'utf8')) as { definitions: Record<string, Schema> };
  mkdirSync(outDir, { recursive: true });
  for (const [name, file] of Object.entries(KINDS)) {
    writeFileSync(join(outDir, file), `${JSON.stringify(standaloneStrict(definitions, name), null, 1)}\n`);
    console.log(`${file}: ${name}`);
  }
}
