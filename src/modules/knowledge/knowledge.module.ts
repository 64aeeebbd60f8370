import type { Module } from '../module.ts';
import { knowledgeMigrations } from './knowledge.migrations.ts';
import { knowledgeRoutes } from './knowledge.routes.ts';

export const knowledgeModule: Module = {
  name: 'knowledge',
  migrations: knowledgeMigrations,
  routes: knowledgeRoutes,
};
