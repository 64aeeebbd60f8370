/** The broadcasts module's public surface: what other modules may use. */
export { checkBroadcastVariables, recipientVariables } from './variables.ts';
