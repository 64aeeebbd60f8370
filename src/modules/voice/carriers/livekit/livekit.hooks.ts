import { z } from 'zod';
import { ApiError } from '../../../../platform/errors.ts';
import { type AnyRoute, defineRoute, providerWebhook } from '../../../../platform/http/route.ts';
import { idOf } from '../../../../platform/http/schemas.ts';
import { hookChannel } from '../../../channels/index.ts';
import { advanceCall } from '../../calls.lifecycle.ts';
import { isTerminal } from '../../calls.service.ts';
import { voiceRuntime } from '../../voice.runtime.ts';
import { CALLEE_IDENTITY, liveKitCredsOf } from './livekit.carrier.ts';
import { liveKitCallStatus, verifyLiveKitWebhook } from './livekit.ts';

const params = z.object({ channel_id: idOf('ch', 'The LiveKit voice channel.') });

/** `POST /hooks/livekit/{ch}`: LiveKit's signed webhooks for the channel's rooms move each call's status. */
export const liveKitRoutes: AnyRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/hooks/livekit/:channel_id',
    summary: 'Receive LiveKit webhooks',
    description:
      "Verifies the `Authorization` JWT (signed with the channel's API secret, with the body's SHA-256); the SIP participant's call status and the room finishing move the call forward.",
    ...providerWebhook,
    params,
    contentTypes: ['application/webhook+json', 'application/json'],
    responses: { 204: null },
    errors: ['invalid_signature', 'not_found', 'unsupported_media_type'],
    handler: async ({ ctx, params, rawBody, request }) => {
      const channel = await hookChannel(ctx, params.channel_id, ['livekit']);
      const auth = request.headers.authorization;
      const event = rawBody
        ? await verifyLiveKitWebhook(
            liveKitCredsOf(channel.credentials),
            typeof auth === 'string' ? auth : undefined,
            rawBody,
          )
        : undefined;
      if (!event)
        throw new ApiError(
          'invalid_signature',
          'The webhook signature is missing or does not match this channel.',
        );
      const room = event.room?.name;
      if (!room) return { status: 204 };
      const call = await ctx.db
        .selectFrom('calls')
        .selectAll()
        .where('id', '=', room)
        .where('channel_id', '=', channel.id)
        .where('provider', '=', 'livekit')
        .executeTakeFirst();
      if (!call || isTerminal(call.status)) return { status: 204 };
      const status = liveKitCallStatus(event, CALLEE_IDENTITY);
      if (status === 'ringing') await advanceCall(ctx, call.id, { status: 'ringing' });
      else if (status === 'in_progress')
        await advanceCall(ctx, call.id, { status: 'in_progress', answeredBy: 'human' });
      else if (status === 'ended') {
        const answered = call.status === 'in_progress';
        await advanceCall(
          ctx,
          call.id,
          answered
            ? { status: 'completed', endedReason: 'customer_ended_call' }
            : { status: 'no_answer', endedReason: 'no_answer' },
        );
        await voiceRuntime(ctx).requestHangup(ctx, call.id);
      }
      return { status: 204 };
    },
  }),
];
