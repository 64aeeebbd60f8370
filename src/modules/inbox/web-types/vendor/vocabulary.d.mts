// The server's lists the pages offer as choices (inbox.assets.ts makes vendor/vocabulary.mjs).
export const automationEvents: readonly string[];
