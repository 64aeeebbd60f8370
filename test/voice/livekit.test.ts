import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { CarrierError } from '../../src/modules/voice/carriers/carrier-error.ts';
import {
  LiveKitClient,
  liveKitCallStatus,
  roomJoinToken,
  verifyLiveKitWebhook,
} from '../../src/modules/voice/carriers/livekit/livekit.ts';
import { FakeLiveKit } from '../fakes/livekit.ts';

/**
 * LiveKit's server API as a client: tokens, the Twirp JSON calls an outbound SIP call makes, and
 * signed webhooks, against a local Twirp fake that verifies each token and its grants (shapes from
 * https://docs.livekit.io/reference/server/server-apis/ and the server SDK's requests, captured in
 * the design notes).
 */
describe('LiveKit: tokens, Twirp server API and webhooks against a fake', () => {
  const fake = new FakeLiveKit();
  let creds: { url: string; api_key: string; api_secret: string; sip_trunk_id: string; agent_name: string };

  before(async () => {
    await fake.start();
    creds = {
      url: 'wss://parley-test.livekit.cloud',
      api_key: fake.apiKey,
      api_secret: fake.apiSecret,
      sip_trunk_id: 'ST_trunk',
      agent_name: 'parley-agent',
    };
  });
  after(() => fake.stop());

  it('mints the room token a client joins with: identity api-client, the room, publish and subscribe', async () => {
    const t = await roomJoinToken(creds, 'call_01', { now: new Date('2026-01-01T00:00:00Z') });
    assert.equal(t.identity, 'api-client');
    assert.equal(t.url, 'wss://parley-test.livekit.cloud');
    assert.equal(decodeProtectedHeader(t.token).alg, 'HS256');
    const claims = decodeJwt(t.token);
    assert.equal(claims.iss, fake.apiKey);
    assert.equal(claims.sub, 'api-client');
    assert.deepEqual(claims.video, {
      roomJoin: true,
      room: 'call_01',
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    });
    assert.equal((claims.exp ?? 0) - (claims.nbf ?? 0), 900);
    assert.equal(t.expiresAt.toISOString(), '2026-01-01T00:15:00.000Z');
    await assert.rejects(jwtVerify(t.token, new TextEncoder().encode('wrong-secret')));
  });

  it('an outbound call: CreateRoom, CreateDispatch, CreateSIPParticipant with the grants each needs; hangup removes the participant', async () => {
    const lk = new LiveKitClient(creds, { apiUrl: fake.url });
    await lk.createRoom('call_02', { emptyTimeoutSeconds: 30 });
    await lk.createDispatch('call_02', 'parley-agent', JSON.stringify({ call_id: 'call_02' }));
    const sip = await lk.createSipParticipant({
      room: 'call_02',
      to: '+14155550100',
      from: '+14155550199',
      identity: 'callee',
    });
    assert.equal(sip.participantIdentity, 'callee');
    assert.match(sip.sipCallId, /^SCL_/);
    const [room, dispatch, call] = fake.requests.slice(-3);
    assert.equal(room.method, 'RoomService/CreateRoom');
    assert.deepEqual(room.body, { name: 'call_02', emptyTimeout: 30, maxParticipants: 4 });
    assert.equal(room.grants.video.roomCreate, true);
    assert.equal(dispatch.method, 'AgentDispatchService/CreateDispatch');
    assert.deepEqual(dispatch.grants.video, { roomAdmin: true, room: 'call_02' });
    assert.equal(call.method, 'SIP/CreateSIPParticipant');
    assert.equal(call.body.sipTrunkId, 'ST_trunk');
    assert.equal(call.body.sipCallTo, '+14155550100');
    assert.equal(call.body.roomName, 'call_02');
    assert.equal(call.body.ringingTimeout, '30s');
    assert.deepEqual(call.grants.sip, { call: true });
    assert.deepEqual(await lk.removeParticipant('call_02', 'callee'), { alreadyEnded: false });
    assert.deepEqual(await lk.removeParticipant('call_02', 'callee'), { alreadyEnded: true });
    await lk.deleteRoom('call_02');
    await lk.deleteRoom('call_02'); // gone already: fine
  });

  it('maps SIP failures and refusals: busy, no answer, invalid number, wrong secret', async () => {
    const lk = new LiveKitClient(creds, { apiUrl: fake.url });
    await lk.createRoom('call_03');
    for (const [sip, reason] of [
      ['486', 'busy'],
      ['480', 'no_answer'],
      ['404', 'invalid_number'],
      ['503', 'failed_to_connect'],
    ]) {
      fake.sipOutcome.push(sip);
      await assert.rejects(
        lk.createSipParticipant({ room: 'call_03', to: '+14155550100', identity: 'callee' }),
        (e: CarrierError) =>
          e instanceof CarrierError && e.reason === reason && e.providerCode === `sip_${sip}`,
      );
    }
    await assert.rejects(
      lk.createSipParticipant({ room: 'call_03', to: 'not-a-number', identity: 'callee' }),
      (e: CarrierError) => e.reason === 'invalid_number',
    );
    const wrong = new LiveKitClient({ ...creds, api_secret: 'not-the-secret' }, { apiUrl: fake.url });
    await assert.rejects(
      wrong.createRoom('call_04'),
      (e: CarrierError) => e.reason === 'provider_error' && e.providerCode === 'unauthenticated',
    );
    const noTrunk = new LiveKitClient({ ...creds, sip_trunk_id: '' }, { apiUrl: fake.url });
    await assert.rejects(
      noTrunk.createSipParticipant({ room: 'call_03', to: '+14155550100', identity: 'c' }),
      (e: CarrierError) => e.providerCode === 'no_sip_trunk',
    );
    const down = new LiveKitClient(creds, { apiUrl: 'http://127.0.0.1:1', timeoutMs: 2000 });
    await assert.rejects(
      down.createRoom('x'),
      (e: CarrierError) => e.retryable && e.providerCode === 'network',
    );
  });

  it('verifies webhooks (JWT over the body hash) and reads what they mean for the call', async () => {
    const joined = await fake.signWebhook({
      event: 'participant_joined',
      room: { name: 'call_05' },
      participant: { identity: 'callee', attributes: { 'sip.callStatus': 'active' } },
    });
    const event = await verifyLiveKitWebhook(creds, joined.authorization, Buffer.from(joined.body));
    assert.equal(event?.event, 'participant_joined');
    assert.equal(liveKitCallStatus(event!, 'callee'), 'in_progress');
    // A body changed after signing, a token signed with another secret, no header: all refused.
    assert.equal(
      await verifyLiveKitWebhook(
        creds,
        joined.authorization,
        Buffer.from(joined.body.replace('active', 'hangup')),
      ),
      undefined,
    );
    const forged = await fake.signWebhook(
      { event: 'room_finished', room: { name: 'call_05' } },
      'another-secret',
    );
    assert.equal(
      await verifyLiveKitWebhook(creds, forged.authorization, Buffer.from(forged.body)),
      undefined,
    );
    assert.equal(await verifyLiveKitWebhook(creds, undefined, Buffer.from(joined.body)), undefined);
    const left = await fake.signWebhook({
      event: 'participant_left',
      room: { name: 'call_05' },
      participant: { identity: 'callee' },
    });
    const leftEvent = await verifyLiveKitWebhook(
      creds,
      `Bearer ${left.authorization}`,
      Buffer.from(left.body),
    );
    assert.equal(liveKitCallStatus(leftEvent!, 'callee'), 'ended');
    assert.equal(
      liveKitCallStatus({ event: 'participant_joined', participant: { identity: 'api-client' } }, 'callee'),
      undefined,
    );
    assert.equal(
      liveKitCallStatus(
        {
          event: 'participant_attributes_changed',
          participant: { identity: 'callee', attributes: { 'sip.callStatus': 'ringing' } },
        },
        'callee',
      ),
      'ringing',
    );
  });
});
