// The server's lists the pages offer as choices (inbox.assets.ts makes vendor/vocabulary.mjs).
export const automationEvents: readonly string[];
export const channelKinds: readonly string[];
export const channelLabels: Readonly<Record<string, { label: string; badge: string }>>;
export const conversationStatuses: readonly string[];
export const priorities: readonly string[];
export const conditionFields: readonly string[];
export const modelProviders: readonly string[];
