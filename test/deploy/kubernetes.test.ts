/**
 * deploy/kubernetes/ against the Kubernetes JSON Schemas of its kinds (standalone-strict,
 * test/fixtures/schemas/kubernetes/), and the promises the files make to each other: the probes
 * on /readyz and /healthz, the grace period that covers the drain, the Service reaching the API's
 * pods, the ConfigMap and Secret the Deployments read, the image's user.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { KINDS } from '../../scripts/k8s-schemas.ts';
import { configVariables } from '../../src/platform/config.ts';
import { REPO_ROOT } from '../support/server-process.ts';

const DIR = join(REPO_ROOT, 'deploy/kubernetes');
const SCHEMAS = join(REPO_ROOT, 'test/fixtures/schemas/kubernetes');

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, any>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

const manifests: Array<{ file: string; doc: Manifest }> = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
      assert.deepEqual(d.errors, [], file);
      return { file, doc: d.toJS() as Manifest };
    }),
  );

const ajv = new Ajv({ strict: false, allErrors: true });
const validators = new Map<string, ValidateFunction>();
/** The schema file of a manifest's kind and API version (yannh's naming, as scripts/k8s-schemas.ts writes them). */
function validatorFor(m: Manifest): ValidateFunction {
  const [group, version] = m.apiVersion.includes('/') ? m.apiVersion.split('/') : ['', m.apiVersion];
  const file = `${m.kind.toLowerCase()}${group ? `-${group.split('.')[0]}` : ''}-${version}.json`;
  assert.ok(Object.values(KINDS).includes(file), `no schema kept for ${m.apiVersion} ${m.kind} (${file})`);
  let v = validators.get(file);
  if (!v) {
    v = ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')));
    validators.set(file, v);
  }
  return v;
}

const byName = (kind: string, name: string) => {
  const found = manifests.find((m) => m.doc.kind === kind && m.doc.metadata.name === name)?.doc;
  assert.ok(found, `${kind} ${name} is in deploy/kubernetes/`);
  return found;
};

describe('deploy/kubernetes', () => {
  it('has a Deployment for the API and one for the worker, a Service, a ConfigMap and an example Secret', () => {
    assert.deepEqual(manifests.map((m) => `${m.doc.kind}/${m.doc.metadata.name}`).sort(), [
      'ConfigMap/parley-config',
      'Deployment/parley-api',
      'Deployment/parley-worker',
      'Secret/parley-secrets',
      'Service/parley-api',
    ]);
  });

  for (const { file, doc } of manifests) {
    it(`${file}: ${doc.kind} ${doc.metadata.name} is valid against the Kubernetes schema (strict)`, () => {
      const validate = validatorFor(doc);
      assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
    });
  }

  it('a misspelt or misplaced field fails the same schemas', () => {
    const api = structuredClone(byName('Deployment', 'parley-api'));
    const container = api.spec!.template.spec.containers[0];
    container.readinessProbe.httpGet.paht = '/readyz';
    assert.equal(validatorFor(api)(api), false);
    const moved = structuredClone(byName('Deployment', 'parley-api'));
    moved.spec!.terminationGracePeriodSeconds = 330; // belongs in the pod's spec, not the Deployment's
    assert.equal(validatorFor(moved)(moved), false);
  });

  it('probes the API on /readyz (ready) and /healthz (alive), and lets SIGTERM drain before it is killed', () => {
    const config = byName('ConfigMap', 'parley-config');
    const drain = Number(config.data?.PARLEY_DRAIN_SECONDS ?? configVariables.PARLEY_DRAIN_SECONDS.default);
    for (const name of ['parley-api', 'parley-worker']) {
      const pod = byName('Deployment', name).spec!.template.spec;
      assert.ok(pod.terminationGracePeriodSeconds > drain, `${name}: grace period over the ${drain} s drain`);
      assert.equal(pod.securityContext.runAsUser, 10001, "the image's user");
      assert.equal(pod.securityContext.runAsNonRoot, true);
      const [container] = pod.containers;
      const role = container.env.find((e: { name: string }) => e.name === 'PARLEY_ROLE')?.value;
      assert.equal(role, name.replace('parley-', ''));
      assert.deepEqual(
        container.envFrom.map((e: Record<string, { name: string }>) => Object.values(e)[0]!.name).sort(),
        ['parley-config', 'parley-secrets'],
      );
    }
    const api = byName('Deployment', 'parley-api').spec!.template.spec.containers[0];
    assert.equal(api.readinessProbe.httpGet.path, '/readyz');
    assert.equal(api.livenessProbe.httpGet.path, '/healthz');
    assert.equal(api.ports[0].containerPort, Number(configVariables.PORT.default));
  });

  it("routes the Service to the API's pods only, and sets only variables Parley reads", () => {
    const service = byName('Service', 'parley-api');
    const api = byName('Deployment', 'parley-api');
    assert.deepEqual(service.spec!.selector, api.spec!.template.metadata.labels);
    assert.equal(service.spec!.ports[0].targetPort, api.spec!.template.spec.containers[0].ports[0].name);
    const known = new Set(Object.keys(configVariables));
    const set = [
      ...Object.keys(byName('ConfigMap', 'parley-config').data ?? {}),
      ...Object.keys(byName('Secret', 'parley-secrets').stringData ?? {}),
    ];
    assert.deepEqual(
      set.filter((n) => !known.has(n)),
      [],
    );
    assert.ok(set.includes('DATABASE_URL') && set.includes('REDIS_URL') && set.includes('PARLEY_SECRET_KEY'));
  });
});
