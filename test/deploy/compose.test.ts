/**
 * compose.yaml against the Compose Specification's JSON Schema (test/fixtures/schemas/), the
 * shape it promises (start order on health, named volumes, the drain), and .env.example against
 * docs/configuration.md: every variable Parley reads is in it, and nothing else but what
 * compose.yaml itself reads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { configVariables, loadConfig } from '../../src/platform/config.ts';
import { REPO_ROOT } from '../support/server-process.ts';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
type Service = {
  image?: string;
  environment?: Record<string, string>;
  env_file?: string | string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  volumes?: string[];
  stop_grace_period?: string;
};
type Compose = { services: Record<string, Service>; volumes: Record<string, unknown> };

const compose = parse(read('compose.yaml'), { merge: true }) as Compose;

function composeValidator() {
  // The schema uses formats of its own (`duration`, `ports`...) that it does not define: their
  // shapes are also given by patterns, which Ajv checks.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  // It names draft-07 by an https address Ajv does not know; draft-07 is what Ajv validates by default.
  const { $schema, ...schema } = JSON.parse(read('test/fixtures/schemas/compose-spec.json'));
  assert.match($schema, /draft-07/);
  return ajv.compile(schema);
}

/** The variables of docs/configuration.md's table. */
function documentedVariables(): string[] {
  return [...read('docs/configuration.md').matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
}

describe('compose.yaml', () => {
  it('is valid against the Compose Specification', () => {
    const validate = composeValidator();
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
  });

  it('is told apart from a broken file by the same schema', () => {
    const validate = composeValidator();
    const broken = structuredClone(compose);
    broken.services.worker!.depends_on!.api!.condition = 'service_ready';
    assert.equal(validate(broken), false);
    const misspelt = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    misspelt.services.api!.healthckeck = misspelt.services.api!.healthcheck;
    assert.equal(validate(misspelt), false);
  });

  it('runs the API and a worker of one image on PostgreSQL and Redis, each started once what it needs is healthy', () => {
    const { api, worker, postgres, redis } = compose.services;
    assert.ok(api && worker && postgres && redis);
    assert.equal(api.environment?.PARLEY_ROLE, 'api');
    assert.equal(worker.environment?.PARLEY_ROLE, 'worker');
    assert.equal(api.image, worker.image);
    for (const service of [api, worker]) {
      assert.match(service.environment?.DATABASE_URL ?? '', /^postgres:\/\/.*@postgres:5432\//);
      assert.equal(service.environment?.REDIS_URL, 'redis://redis:6379');
      assert.deepEqual(service.env_file, '.env');
    }
    // Every dependency is waited for until its health check passes, and has one to pass.
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        assert.equal(condition, 'service_healthy', `${name} → ${dependency}`);
        const check = compose.services[dependency]?.healthcheck;
        assert.ok(check?.test && !check.disable, `${dependency} has a health check`);
      }
    }
    assert.deepEqual(Object.keys(worker.depends_on ?? {}).sort(), ['api', 'postgres', 'redis']);
    assert.match(api.healthcheck?.test?.join(' ') ?? '', /\/readyz/);
  });

  it('keeps its data in named volumes and gives SIGTERM the whole drain', () => {
    const named = Object.keys(compose.volumes);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        assert.ok(named.includes(source), `${name}: ${source} is a named volume`);
      }
    }
    const drain = Number(configVariables.PARLEY_DRAIN_SECONDS.default);
    for (const name of ['api', 'worker']) {
      const grace = /^(\d+)s$/.exec(compose.services[name]!.stop_grace_period ?? '')?.[1];
      assert.ok(Number(grace) > drain, `${name} waits more than PARLEY_DRAIN_SECONDS (${drain}) on stop`);
    }
  });
});

describe('.env.example', () => {
  const names = [...read('.env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  const composeOwn = [...read('compose.yaml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);

  it('names every variable of docs/configuration.md, once', () => {
    const documented = documentedVariables();
    assert.ok(documented.length >= Object.keys(configVariables).length);
    assert.deepEqual(
      documented.filter((n) => !names.includes(n)),
      [],
      'documented variables missing from .env.example',
    );
    assert.deepEqual(
      names.filter((n, i) => names.indexOf(n) !== i),
      [],
      'variables named twice',
    );
  });

  it("holds values Parley accepts: every line uncommented, with compose.yaml's own, the API starts its configuration", () => {
    const env: Record<string, string> = {};
    for (const [, name, value] of read('.env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]*)=(.*)$/gm))
      env[name!] = value!;
    env.PARLEY_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
    Object.assign(env, compose.services.api!.environment, {
      DATABASE_URL: compose.services.api!.environment!.DATABASE_URL!.replace(/\$\{POSTGRES_PASSWORD\}/, 'pw'),
      PARLEY_SECRET_KEY: env.PARLEY_SECRET_KEY,
    });
    const config = loadConfig(env);
    assert.equal(config.role, 'api');
    assert.equal(config.databaseUrl, 'postgres://parley:pw@postgres:5432/parley');
    assert.equal(config.drainSeconds, Number(configVariables.PARLEY_DRAIN_SECONDS.default));
  });

  it('names nothing else but the variables compose.yaml reads', () => {
    const documented = new Set(documentedVariables());
    assert.deepEqual(
      names.filter((n) => !documented.has(n) && !composeOwn.includes(n)),
      [],
      'variables in .env.example that neither Parley nor compose.yaml reads',
    );
    assert.deepEqual(
      [...new Set(composeOwn)].filter((n) => !names.includes(n)),
      [],
      'variables compose.yaml reads that .env.example does not name',
    );
  });
});
