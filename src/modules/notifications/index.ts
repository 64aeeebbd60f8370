/** The notifications module's public surface: nothing other modules call (it listens to events). */
export type { NotificationKind } from './notifications.kinds.ts';
