import type { Module } from '../module.ts';
import { knowledgeMigrations } from './knowledge.migrations.ts';
import { knowledgeRoutes } from './knowledge.routes.ts';
import { TermCounts } from './search.ts';

/** The knowledge module's state for one app. */
export interface KnowledgeInstance {
  /** Word counts per agent that decide which query words are worth searching (see TermCounts). */
  termCounts: TermCounts;
}

declare module '../../platform/context.ts' {
  interface AppModules {
    knowledge: KnowledgeInstance;
  }
}

export const knowledgeModule: Module = {
  name: 'knowledge',
  migrations: knowledgeMigrations,
  routes: knowledgeRoutes,
  setup(): KnowledgeInstance {
    return { termCounts: new TermCounts() };
  },
};
