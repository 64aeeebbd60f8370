import type { Module } from '../module.ts';
import { outreachRoutes } from './outreach.routes.ts';

/**
 * Conversations the business opens (`POST /v1/conversations`): each item starts with a message
 * (messaging) or is a call (voice), so this sits above both, and above conversations, which
 * messaging and voice build on.
 */
export const outreachModule: Module = {
  name: 'outreach',
  routes: outreachRoutes,
};
