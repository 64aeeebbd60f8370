/** The TwiML documents Parley answers with or sends (https://www.twilio.com/docs/voice/twiml). */

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';

/**
 * `<Connect><Stream>`: a bidirectional Media Stream to `url` (wss://...). Each parameter becomes
 * one of `start.customParameters` on the stream: Parley sends the call id and the call's token.
 */
export function connectStreamTwiml(url: string, parameters: Record<string, string>): string {
  const params = Object.entries(parameters)
    .map(([name, value]) => `<Parameter name="${xmlEscape(name)}" value="${xmlEscape(value)}"/>`)
    .join('');
  return `${HEAD}<Response><Connect><Stream url="${xmlEscape(url)}">${params}</Stream></Connect></Response>`;
}

/** A transfer: optionally say something, then dial the number (the live call is redirected to this). */
export function transferTwiml(
  to: string,
  opts: { say?: string; callerId?: string; timeoutSeconds?: number },
) {
  const say = opts.say ? `<Say>${xmlEscape(opts.say)}</Say>` : '';
  const attrs = [
    opts.callerId ? ` callerId="${xmlEscape(opts.callerId)}"` : '',
    opts.timeoutSeconds ? ` timeout="${opts.timeoutSeconds}"` : '',
  ].join('');
  return `${HEAD}<Response>${say}<Dial${attrs}><Number>${xmlEscape(to)}</Number></Dial></Response>`;
}

/** Said and hung up: a number with no agent, a call over the limit. */
export function sayAndHangupTwiml(text: string): string {
  return `${HEAD}<Response><Say>${xmlEscape(text)}</Say><Hangup/></Response>`;
}

/** Refuse a call without answering it (the caller hears busy; nothing is billed as answered). */
export function rejectTwiml(reason: 'busy' | 'rejected' = 'busy'): string {
  return `${HEAD}<Response><Reject reason="${reason}"/></Response>`;
}
