import { readdirSync } from 'node:fs';
import type { TestApp } from './harness.ts';

/**
 * How the shared security suite reaches a module's routes that take an object id. One file per
 * module in `test/support/security-fixtures/`, default-exporting a `SecurityFixture`.
 */
export interface SecurityFixture {
  /** Route paths (Fastify syntax, exactly as declared, e.g. `/v1/contacts/:id`) this fixture covers. */
  paths: string[];
  /** Creates the object(s) in the workspace of `key` and returns the path params for the routes. */
  create(t: TestApp, key: string): Promise<Record<string, string>>;
  /** A valid body for a route that needs one, so the check reaches the object lookup. */
  body?(method: string, path: string): unknown;
  /**
   * For a path whose GET the owner cannot have succeed here (a call's recording, with no carrier
   * to record it): the owner's answer is a 404 with this message, which names the found object.
   */
  ownerRefusal?: Record<string, RegExp>;
}

/** Every fixture of `security-fixtures/`: each file's default export, or each of its named ones. */
export async function loadSecurityFixtures(): Promise<SecurityFixture[]> {
  const dir = new URL('./security-fixtures/', import.meta.url);
  const fixtures: SecurityFixture[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const mod = (await import(new URL(file, dir).href)) as Record<string, unknown>;
    for (const value of Object.values(mod))
      if (value && typeof value === 'object' && 'paths' in value) fixtures.push(value as SecurityFixture);
  }
  return fixtures;
}
