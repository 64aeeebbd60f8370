import type { ParleyMigration } from '../platform/db/migrate.ts';
import { platformMigrations } from '../platform/db/platform.migrations.ts';
import type { Module } from './module.ts';
import { workspacesModule } from './workspaces/workspaces.module.ts';

/** Every module of Parley, in dependency order. */
export const modules: Module[] = [workspacesModule];

export function allMigrations(list: Module[] = modules): Record<string, ParleyMigration> {
  const out: Record<string, ParleyMigration> = { ...platformMigrations };
  for (const m of list) {
    for (const [name, migration] of Object.entries(m.migrations ?? {})) {
      if (out[name]) throw new Error(`Migration ${name} is declared twice`);
      out[name] = migration;
    }
  }
  return out;
}
