import { requireScope } from './auth.ts';
import type { Auth } from './route.ts';

/**
 * One permission rule per effect, whichever route reaches it. A route's own effect is its
 * `scope`; a route that also reaches another resource's effect (an import that fills an
 * audience, an audience that creates contacts for new phones) checks that effect's scope here,
 * so an inbox role or a scoped key gets the same answer for the same effect on every route.
 */
export const EFFECT_SCOPES = {
  /** Adding or removing contacts of an audience. */
  'audience.members': 'audiences:write',
  /** Creating or changing contacts. */
  'contacts.write': 'contacts:write',
} as const;

export type Effect = keyof typeof EFFECT_SCOPES;

/** 403 `forbidden` (naming the scope) unless the caller may cause `effect`. */
export function requireEffect(auth: Auth, effect: Effect) {
  requireScope(auth, EFFECT_SCOPES[effect]);
}
