import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../../platform/context.ts';
import { ApiError } from '../../../../platform/errors.ts';
import { type AnyRoute, defineRoute, providerWebhook } from '../../../../platform/http/route.ts';
import { describe, idOf } from '../../../../platform/http/schemas.ts';
import { guardSocket } from '../../../../platform/http/socket-guard.ts';
import { refuseUpgrade, type SocketRoute } from '../../../../platform/http/sockets.ts';
import type { ChannelConfig } from '../../../channels/index.ts';
import { hookChannel, twilioHookChannel } from '../../../channels/index.ts';
import { advanceCall } from '../../calls.lifecycle.ts';
import { connectCall } from '../../calls.live.ts';
import { isTerminal } from '../../calls.service.ts';
import { voiceRuntime } from '../../voice.runtime.ts';
import type { CallRow } from '../../voice.tables.ts';
import { createInboundCall } from '../inbound.ts';
import { linesRuntime, publicBase, publicWsBase, streamToken, streamTokenValid } from '../lines.ts';
import { answerMachine } from '../voicemail.ts';
import { TwilioMediaStream } from './media-stream.ts';
import { TwilioTransport } from './twilio.transport.ts';
import { TwilioVoiceClient } from './twilio-voice.client.ts';
import {
  endedReasonOf,
  parseVoiceCallback,
  type TwilioVoiceCallback,
  verifyTwilioSignature,
} from './twilio-voice.status.ts';
import { warmLegEvent } from './twilio-warm.ts';
import { connectStreamTwiml, rejectTwiml, sayAndHangupTwiml } from './twiml.ts';

/**
 * Twilio's side of a phone call, provider-facing (no API key; every request and the media
 * WebSocket's upgrade carry `X-Twilio-Signature`, checked first):
 * - `POST /hooks/twilio/{ch}/voice`: a call to the number; answered with TwiML that connects a
 *   bidirectional Media Stream carrying the call's id and its own token;
 * - `POST /hooks/twilio/{ch}/voice-status`: progress callbacks, the async AMD verdict and the
 *   recording;
 * - `GET /hooks/twilio/{ch}/media` (WebSocket): the stream, which runs the call's session here.
 */

const params = z.object({ channel_id: idOf('ch', 'The voice channel the call is on.') });
const statusQuery = z.object({
  call_id: idOf(
    'call',
    'The call a status callback is about (Parley writes it into the callback URL).',
  ).optional(),
  leg: describe(
    z.enum(['transfer']),
    "`transfer`: the callback is about a warm transfer's second leg (the person dialled), not the call itself.",
    'transfer',
  ).optional(),
});

export function twilioClient(ctx: AppContext) {
  return new TwilioVoiceClient({ apiUrl: ctx.config.twilioApiUrl });
}

export const mediaPath = (channelId: string) => `/hooks/twilio/${channelId}/media`;

/** The TwiML that connects the call's media stream to this server. */
export function streamTwimlFor(ctx: AppContext, channelId: string, callId: string, req?: FastifyRequest) {
  return connectStreamTwiml(`${publicWsBase(ctx, req)}${mediaPath(channelId)}`, {
    call_id: callId,
    token: streamToken(ctx, callId),
  });
}

async function verifiedChannel(
  ctx: AppContext,
  request: FastifyRequest,
  channelId: string,
  rawBody?: Buffer,
) {
  const channel = await twilioHookChannel(ctx, channelId, request.headers['content-type']);
  const form = (request.body ?? {}) as Record<string, string>;
  const url = `${publicBase(ctx, request)}${request.url}`;
  if (
    !rawBody ||
    !verifyTwilioSignature(channel.credentials.auth_token, request.headers['x-twilio-signature'], url, form)
  )
    throw new ApiError(
      'invalid_signature',
      'The request signature is missing or does not match this channel.',
    );
  return { channel, form };
}

const twiml = (body: string) => ({ status: 200, body, contentType: 'text/xml; charset=utf-8' });

export const twilioVoiceRoutes: AnyRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/hooks/twilio/:channel_id/voice',
    summary: 'Receive a call on a Twilio number',
    description:
      'Verifies `X-Twilio-Signature`; creates the call and its conversation and answers TwiML that connects a bidirectional Media Stream (the agent speaks first). A number with no agent hears that nobody can take the call; a workspace at its concurrent-call limit gets busy.',
    ...providerWebhook,
    params,
    contentTypes: ['application/x-www-form-urlencoded'],
    responses: { 200: null },
    errors: ['invalid_signature', 'not_found', 'unsupported_media_type'],
    handler: async ({ ctx, params, rawBody, request }) => {
      const { channel, form } = await verifiedChannel(ctx, request, params.channel_id, rawBody);
      if (channel.type !== 'voice')
        return twiml(sayAndHangupTwiml('Voice calls are not configured on this number.'));
      if (!form.CallSid || !form.From)
        throw new ApiError('validation_failed', 'A Twilio voice webhook carries CallSid and From.');
      const outcome = await createInboundCall(ctx, channel.id, {
        provider: 'twilio',
        providerCallId: form.CallSid,
        from: form.From,
        to: form.To ?? channel.address,
      });
      if (outcome.kind === 'no_agent')
        return twiml(sayAndHangupTwiml('Sorry, nobody can take your call on this number right now.'));
      if (outcome.kind === 'busy') return twiml(rejectTwiml('busy'));
      if (isTerminal(outcome.call.status)) return twiml(sayAndHangupTwiml('This call has ended.'));
      return twiml(streamTwimlFor(ctx, channel.id, outcome.call.id, request));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/hooks/twilio/:channel_id/voice-status',
    summary: 'Receive Twilio call progress, answering-machine and recording callbacks',
    description:
      "Verifies `X-Twilio-Signature`. Progress moves the call forward only (a late or repeated callback changes nothing); an answering machine applies the agent's voicemail policy; a finished recording sets `recording_url`.",
    ...providerWebhook,
    params,
    query: statusQuery,
    contentTypes: ['application/x-www-form-urlencoded'],
    responses: { 204: null },
    errors: ['invalid_signature', 'not_found', 'unsupported_media_type'],
    handler: async ({ ctx, params, query, rawBody, request }) => {
      const { channel, form } = await verifiedChannel(ctx, request, params.channel_id, rawBody);
      if (query.leg === 'transfer') {
        // A warm transfer's second leg: told to the call's session, wherever it runs.
        const leg = warmLegEvent(form);
        if (leg && query.call_id)
          await linesRuntime(ctx).tell(ctx, { callId: query.call_id, kind: 'transfer_leg', ...leg });
        return { status: 204 };
      }
      const cb = parseVoiceCallback(form);
      if (cb.kind === 'ignored') return { status: 204 };
      const call = await findCall(ctx, channel, query.call_id, cb.callSid);
      if (!call) return { status: 204 }; // a call this server does not know: nothing to change
      const lines = linesRuntime(ctx);
      if (cb.kind === 'recording') {
        await ctx.db
          .updateTable('calls')
          .set({ recording_url: cb.recordingUrl, updated_at: ctx.clock.now().toISOString() })
          .where('id', '=', call.id)
          .execute();
        return { status: 204 };
      }
      if (cb.kind === 'amd') {
        await recordAnsweredBy(ctx, call, cb);
        return { status: 204 };
      }
      // Progress. The answer itself is the media stream's to record (it starts the session).
      if (cb.status === 'in_progress') return { status: 204 };
      if (!isTerminal(cb.status)) {
        await advanceCall(ctx, call.id, { status: cb.status, providerCallId: cb.callSid });
        return { status: 204 };
      }
      // An answered call's session records its own end, with the last turn of its transcript: it
      // is told the carrier ended the call (on whichever process holds it) and given a moment, so
      // the call is not completed here, with its event, while its transcript is still being
      // written. This callback records the end itself only when no session does (one lost with
      // its process).
      if (call.answered_at && !isTerminal(call.status)) {
        await lines.tell(ctx, { callId: call.id, kind: 'ended' });
        await sessionEnded(ctx, call.id);
      }
      const { status, reason } = carrierEnd(call, cb);
      await advanceCall(ctx, call.id, {
        status,
        endedReason: reason as never,
        providerCallId: cb.callSid,
        ...(cb.errorCode
          ? { error: { code: 'provider_error', message: `Twilio error ${cb.errorCode}` } }
          : {}),
      });
      await lines.tell(ctx, { callId: call.id, kind: 'ended' });
      await voiceRuntime(ctx).requestHangup(ctx, call.id);
      return { status: 204 };
    },
  }),
];

/** How long a carrier's "completed" callback waits for the call's session to record its end. */
const SESSION_END_WAIT_MS = 3000;

/**
 * An answering-machine verdict. A machine is told to the call's session (before the stream has
 * started, the verdict also waits on the call: the stream's start reads it); a human or unknown
 * verdict is written only over no verdict or an unknown one.
 */
async function recordAnsweredBy(
  ctx: AppContext,
  call: CallRow,
  cb: Extract<TwilioVoiceCallback, { kind: 'amd' }>,
): Promise<void> {
  if (cb.answeredBy !== 'machine') {
    if (call.answered_by && call.answered_by !== 'unknown') return;
    await ctx.db.updateTable('calls').set({ answered_by: cb.answeredBy }).where('id', '=', call.id).execute();
    return;
  }
  if (!call.answered_at)
    await ctx.db
      .updateTable('calls')
      .set({ answered_by: 'machine' })
      .where('id', '=', call.id)
      .where('answered_at', 'is', null)
      .execute();
  await linesRuntime(ctx).tell(ctx, { callId: call.id, kind: 'machine', greetingEnded: cb.greetingEnded });
}

/** Waits (up to SESSION_END_WAIT_MS) for the call's session to record the call's end. */
async function sessionEnded(ctx: AppContext, callId: string): Promise<void> {
  const deadline = performance.now() + SESSION_END_WAIT_MS;
  while (performance.now() < deadline) {
    const now = await ctx.db.selectFrom('calls').select('status').where('id', '=', callId).executeTakeFirst();
    if (!now || isTerminal(now.status)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How the carrier's final callback ends the call: its status, and why. */
function carrierEnd(call: CallRow, cb: Extract<TwilioVoiceCallback, { kind: 'status' }>) {
  const completed = cb.status === 'completed';
  // Twilio completed a call that never reached us (its stream was refused): it did not connect.
  if (completed && !call.answered_at) return { status: 'failed' as const, reason: 'failed_to_connect' };
  // A call redirected to another number (the session may not have recorded it yet).
  if (completed && call.transfer_started_at) return { status: cb.status, reason: 'transferred' };
  const reason = endedReasonOf(cb.status, { SipResponseCode: cb.sipResponseCode, ErrorCode: cb.errorCode });
  return { status: cb.status, reason };
}

async function findCall(
  ctx: AppContext,
  channel: ChannelConfig,
  callId: string | undefined,
  callSid: string,
) {
  let q = ctx.db
    .selectFrom('calls')
    .selectAll()
    .where('channel_id', '=', channel.id)
    .where('provider', '=', 'twilio');
  q = callId ? q.where('id', '=', callId) : q.where('provider_call_id', '=', callSid);
  const call = await q.executeTakeFirst();
  // A call id in the URL must be the call Twilio names, once Parley knows its sid.
  if (call && callId && call.provider_call_id && call.provider_call_id !== callSid) return undefined;
  return call;
}

export const twilioMediaSocket: SocketRoute = {
  path: '/hooks/twilio/:channel_id/media',
  async handle(ctx, req, socket, head, params) {
    let channel: ChannelConfig;
    try {
      channel = await hookChannel(ctx, params.channel_id ?? '', ['twilio']);
    } catch {
      return refuseUpgrade(socket, 404, 'No Twilio channel here.');
    }
    // Twilio signs the wss:// URL Parley wrote into the TwiML, with no parameters.
    const url = `${publicWsBase(ctx, req)}${req.url}`;
    if (!verifyTwilioSignature(channel.credentials.auth_token, req.headers['x-twilio-signature'], url))
      return refuseUpgrade(
        socket,
        403,
        'The X-Twilio-Signature of the upgrade is missing or does not match.',
      );
    linesRuntime(ctx)
      .wss()
      .handleUpgrade(req, socket, head, (ws) => {
        guardSocket(ws, ctx.logger, 'twilio-media');
        runStream(ctx, channel, ws);
      });
  },
};

function runStream(ctx: AppContext, channel: ChannelConfig, ws: import('ws').WebSocket) {
  const client = twilioClient(ctx);
  const creds = { account_sid: channel.credentials.account_sid, auth_token: channel.credentials.auth_token };
  let transport: TwilioTransport | null = null;
  let call: CallRow | undefined;
  const log = (msg: string, err?: unknown) =>
    ctx.logger.warn({ callId: call?.id, err: (err as Error)?.message }, msg);
  const lines = linesRuntime(ctx);
  const stream = new TwilioMediaStream(ws, {
    onStart: async (start) => {
      const callId = start.customParameters.call_id;
      if (!callId || !streamTokenValid(ctx, callId, start.customParameters.token)) return false;
      call = await ctx.db
        .selectFrom('calls')
        .selectAll()
        .where('id', '=', callId)
        .where('channel_id', '=', channel.id)
        .executeTakeFirst();
      if (!call || isTerminal(call.status)) return false;
      if (call.provider_call_id && call.provider_call_id !== start.callSid) return false;
      if (!call.provider_call_id)
        await ctx.db
          .updateTable('calls')
          .set({ provider_call_id: start.callSid })
          .where('id', '=', call.id)
          .execute();
      transport = new TwilioTransport({
        stream,
        client,
        creds,
        callSid: start.callSid,
        from: channel.address,
        onLog: log,
        callbackUrl: `${publicBase(ctx)}/hooks/twilio/${channel.id}/voice-status?call_id=${call.id}`,
      });
      const t = transport;
      const id = call.id;
      lines.legs.set(id, {
        ended: () => t.carrierEnded(),
        transferLeg: (sid, event) => t.legEvent(sid, event as never),
        machine: (greetingEnded) =>
          void answerMachine(ctx, id, t, greetingEnded).catch((err) => log('voicemail failed', err)),
      });
      // A machine verdict that came before the stream: the engine leaves the message or hangs up.
      const answeredBy = call.answered_by === 'machine' ? 'machine' : 'human';
      // The session starts once the stream is accepted (after this returns).
      setImmediate(() => {
        void connectCall(ctx, id, t, { answeredBy }).catch((err) => log('call session failed', err));
      });
      return true;
    },
    onAudio: (mulaw) => transport?.handlers.audio(mulaw),
    onDtmf: (digit) => transport?.handlers.dtmf(digit),
    onMark: (name, played) => transport?.handlers.mark(name, played),
    onFrameSent: (lateMs) => lines.frameLateness.observe(lateMs / 1000),
    onStop: (reason) => {
      if (call) lines.legs.delete(call.id);
      const inbound = stream.inbound;
      if (call && (inbound.dropped || inbound.missing))
        ctx.logger.info(
          { callId: call.id, ...inbound },
          'media stream: repeated or late frames dropped, or missing sequence numbers',
        );
      if (transport) transport.handlers.stop();
      else if (reason === 'refused')
        ctx.logger.info(
          { channelId: channel.id },
          'media stream refused: unknown or ended call, or bad token',
        );
    },
  });
}
