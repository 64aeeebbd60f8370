/** What a person can be told about (each can be switched off in their preferences). */
export const KINDS = ['assigned', 'mentioned', 'handoff', 'waiting', 'sla'] as const;
export type NotificationKind = (typeof KINDS)[number];
