import type { Module } from '../module.ts';
import { availabilityRoutes } from './availability.routes.ts';
import { ssoMigrations } from './sso/sso.migrations.ts';
import { ssoRoutes } from './sso/sso.routes.ts';
import './sso/sso.tables.ts';
import { PresenceTracker } from './availability.ts';
import { roleRoutes } from './roles.routes.ts';
import { scimRoutes } from './scim.routes.ts';
import { scimTokenRoutes } from './scim-tokens.routes.ts';
import { usersMigrations } from './users.migrations.ts';
import { userRoutes } from './users.routes.ts';
import { securityRoutes } from './users.security.routes.ts';
import { sessionSecret, verifySession } from './users.sessions.ts';

/** The users module's instance for one app. */
export interface UsersInstance {
  /** The key inbox session tokens are signed with (derived once per app). */
  sessionSecret: Uint8Array;
  /** This process's open inboxes (presence). */
  presence: PresenceTracker;
}

declare module '../../platform/context.ts' {
  interface AppModules {
    users: UsersInstance;
  }
}

export const usersModule: Module = {
  name: 'users',
  migrations: { ...usersMigrations, ...ssoMigrations },
  routes: [
    ...userRoutes,
    ...roleRoutes,
    ...scimTokenRoutes,
    ...scimRoutes,
    ...availabilityRoutes,
    ...securityRoutes,
    ...ssoRoutes,
  ],
  setup(ctx): UsersInstance {
    const secret = sessionSecret(ctx);
    // Bearer tokens that are not API keys are tried as inbox sessions.
    ctx.sessionVerifier = (c, token) => verifySession(c, secret, token);
    return {
      sessionSecret: secret,
      presence: new PresenceTracker(ctx),
    };
  },
  async close(ctx) {
    await ctx.modules.users.presence.close();
  },
};
