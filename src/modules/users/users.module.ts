import { setSessionVerifier } from '../../platform/http/auth.ts';
import type { Module } from '../module.ts';
import { usersMigrations } from './users.migrations.ts';
import { secretFor, userRoutes } from './users.routes.ts';
import { verifySession } from './users.service.ts';

export const usersModule: Module = {
  name: 'users',
  migrations: usersMigrations,
  routes: userRoutes,
  setup() {
    // Bearer tokens that are not API keys are tried as inbox sessions.
    setSessionVerifier((ctx, token) => verifySession(ctx, secretFor(ctx), token));
  },
};
