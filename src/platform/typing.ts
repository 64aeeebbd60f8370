/**
 * The bus channel where typing in a web conversation is told to its visitor, by the thread's
 * address (the widget's visitor id): a person typing in the inbox, or the AI writing a reply.
 * The widget's stream listens on it; `typing` shows the dots, `left` hides them.
 */
export const typingChannel = (visitorId: string) => `parley:presence:to:${visitorId}`;
