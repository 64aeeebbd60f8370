import { z } from 'zod';
import type { AppContext } from '../../../platform/context.ts';
import type { Db, Trx } from '../../../platform/db/database.ts';
import { type Scope, tenant } from '../../../platform/db/scope.ts';
import { ApiError } from '../../../platform/errors.ts';
import { defineRoute, ok } from '../../../platform/http/route.ts';
import { describe, idParams, nullableTimestamp } from '../../../platform/http/schemas.ts';
import { typingChannel } from '../../../platform/typing.ts';

/**
 * Presence per conversation: the inbox tells Parley that a person has a conversation open
 * (`viewing`, every 20 s while it is on screen) or is writing in it (`typing`, as they type). While
 * someone's presence lasts (`PRESENCE_SECONDS` after their last signal), a handoff's reply timer
 * does not act on the conversation: it waits until the presence ends.
 */
export const PRESENCE_SECONDS = 45;

export type PresenceState = 'viewing' | 'typing' | 'left';

export async function setPresence(
  ctx: AppContext,
  scope: Scope,
  conversationId: string,
  userId: string,
  state: PresenceState,
) {
  const conversation = await tenant(ctx.db, scope).getById('conversations', conversationId, 'conversation');
  const now = ctx.clock.now();
  if (state === 'left') {
    await ctx.db
      .deleteFrom('conversation_presence')
      .where('conversation_id', '=', conversation.id)
      .where('user_id', '=', userId)
      .execute();
  } else {
    const until = new Date(now.getTime() + PRESENCE_SECONDS * 1000).toISOString();
    await ctx.db
      .insertInto('conversation_presence')
      .values({ conversation_id: conversation.id, user_id: userId, state, until })
      .onConflict((oc) => oc.columns(['conversation_id', 'user_id']).doUpdateSet({ state, until }))
      .execute();
  }
  // A website visitor sees a person typing (the widget's stream listens by the thread's address).
  if (conversation.channel === 'web' && state !== 'viewing')
    await ctx.bus.publish(typingChannel(conversation.contact_address), state);
  return presenceOf(ctx, ctx.db, conversation.id);
}

/** Who is on the conversation now, and until when the latest presence holds it (null: nobody). */
export async function presenceOf(ctx: AppContext, db: Db | Trx, conversationId: string) {
  const now = ctx.clock.now().toISOString();
  const rows = await db
    .selectFrom('conversation_presence')
    .select(['user_id', 'state', 'until'])
    .where('conversation_id', '=', conversationId)
    .where('until', '>', now)
    .orderBy('user_id')
    .execute();
  return {
    object: 'conversation_presence' as const,
    conversation_id: conversationId,
    people: rows.map((r) => ({ user_id: r.user_id, state: r.state, until: r.until })),
    held_until: rows.reduce<string | null>((m, r) => (m === null || r.until > m ? r.until : m), null),
  };
}

/** Until when someone's presence holds the conversation (null: nobody is on it). */
export async function heldUntil(ctx: AppContext, db: Db | Trx, conversationId: string) {
  return (await presenceOf(ctx, db, conversationId)).held_until;
}

const presenceObject = z.object({
  object: describe(
    z.literal('conversation_presence'),
    'Always `conversation_presence`.',
    'conversation_presence',
  ),
  conversation_id: describe(z.string(), 'The conversation.', 'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  people: describe(
    z.array(
      z.object({
        user_id: describe(z.string(), 'The person.', 'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
        state: describe(z.enum(['viewing', 'typing']), 'What they are doing.', 'typing'),
        until: describe(z.string(), 'Until when it lasts without a new signal.', '2026-05-11T09:30:45.000Z'),
      }),
    ),
    'Who has the conversation open or is writing in it.',
  ),
  held_until: nullableTimestamp('Until when the handoff reply timer waits for them (null: nobody is on it)'),
});

export const presenceRoutes = [
  defineRoute({
    method: 'PUT',
    path: '/v1/conversations/:id/presence',
    summary: 'Say I am viewing or typing in a conversation',
    description: `The inbox calls it while a person has a conversation open (\`viewing\`) or is writing a reply (\`typing\`); \`left\` ends it. Each signal lasts ${PRESENCE_SECONDS} seconds. While someone is on a handed-off conversation, its reply timer does not reassign it (or act otherwise): it waits until they leave. Inbox sessions only; an API key is a 403.`,
    tags: ['Conversations'],
    auth: 'key',
    scope: 'conversations:write',
    params: idParams('conv'),
    body: z.strictObject({
      state: describe(z.enum(['viewing', 'typing', 'left']), 'What the person is doing.', 'typing'),
    }),
    responses: { 200: presenceObject },
    errors: ['forbidden'],
    handler: ok(({ ctx, auth, params, body }) => {
      if (auth.kind !== 'user')
        throw new ApiError('forbidden', 'Presence belongs to a person: call this with an inbox session.');
      return setPresence(ctx, auth, params.id, auth.principalId, body.state);
    }),
  }),
];
