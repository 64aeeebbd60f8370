import { call } from './lib.js';
import { useEffect } from './vendor/hooks.mjs';

/**
 * Presence per conversation: while a person has a conversation open, the inbox says so every 20 s
 * (`viewing`), and as they type (`typing`, at most every 10 s). While someone is on a handed-off
 * conversation, its reply timer waits for them instead of reassigning it (docs/operations.md).
 */
const say = (id, state) =>
  call('put', '/v1/conversations/{id}/presence', { params: { id }, body: { state } }).catch(() => {});

export function usePresence(conversationId) {
  useEffect(() => {
    if (!conversationId) return undefined;
    say(conversationId, 'viewing');
    const every = setInterval(() => {
      if (document.visibilityState !== 'hidden') say(conversationId, 'viewing');
    }, 20_000);
    return () => {
      clearInterval(every);
      say(conversationId, 'left');
    };
  }, [conversationId]);
}

const lastTyping = new Map();

/** The person typed in the conversation's reply box. */
export function typing(conversationId) {
  const now = Date.now();
  if (now - (lastTyping.get(conversationId) ?? 0) < 10_000) return;
  lastTyping.set(conversationId, now);
  say(conversationId, 'typing');
}
