/**
 * What a person whose role sees a part is sent: nothing of the conversations it does not see
 * (visibility-guard.ts), and customers' contact details masked when the role says so
 * (contact-masking.ts). Applied by the route plumbing to every answer, so no route opts in.
 */
import { maskContactDetails, maskText } from '../contact-masking.ts';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { Auth } from './route.ts';
import { limitsConversations, withoutHiddenConversations } from './visibility-guard.ts';

const TEXTUAL = /^(text\/|application\/(json|problem\+json|xml|x-ndjson)|application\/[\w.+-]*\+json)/i;

const isStream = (body: unknown) =>
  Boolean(body) && typeof body === 'object' && typeof (body as { pipe?: unknown }).pipe === 'function';

/** `reads`: the route reads (a GET, or a POST with a read scope: a search, a replay). */
export async function bodyForView(
  ctx: AppContext,
  reads: boolean,
  auth: Auth,
  answer: unknown,
  contentType: string,
  url: string,
): Promise<unknown> {
  let body = await readWhole(answer, contentType);
  if (reads && limitsConversations(auth)) body = await withoutHiddenConversations(ctx, auth, body, url);
  return auth.view?.maskContactDetails ? masked(body, contentType) : body;
}

/**
 * A streamed answer: a text (JSON, CSV) is read whole so it can be checked; media (images, audio,
 * video, documents sent in a conversation) goes as it is; any other file (a zip export) cannot be
 * checked and is refused.
 */
async function readWhole(body: unknown, contentType: string): Promise<unknown> {
  if (!isStream(body)) return body;
  if (TEXTUAL.test(contentType)) {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer | string>)
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const whole = Buffer.concat(chunks);
    return /json/i.test(contentType) ? JSON.parse(whole.toString('utf8')) : whole;
  }
  if (/^application\/(zip|x-zip)/i.test(contentType)) {
    (body as { destroy?: () => void }).destroy?.();
    throw new ApiError(
      'forbidden',
      "Your role sees some conversations only, or customers' contact details masked: this file cannot be given to it. Ask an admin.",
    );
  }
  return body;
}

/** A stored idempotent answer, masked again for a person whose role masks contact details. */
export const replayed = (auth: Auth, body: unknown) =>
  auth.view?.maskContactDetails ? maskContactDetails(body) : body;

/** JSON, text and text files masked; media as it is. */
function masked(body: unknown, contentType: string): unknown {
  const text = TEXTUAL.test(contentType);
  if (typeof body === 'string') return text ? maskText(body) : body;
  if (Buffer.isBuffer(body)) return text ? Buffer.from(maskText(body.toString('utf8'))) : body;
  if (isStream(body)) return body;
  return maskContactDetails(body);
}
