import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { loadChannelConfig } from '../../src/modules/channels/channels.service.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

forEachStorage('channels', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let other: Workspace;
  before(async () => {
    t = await startTestApp(storage, { env: { PARLEY_PUBLIC_URL: 'https://parley.example.com' } });
    w = await t.workspace();
    other = await t.workspace();
  });
  after(async () => {
    await t.close();
  });

  it('creates a Meta channel: credentials write-only, sealed at rest, inbound URL shown', async () => {
    const creds = {
      phone_number_id: '1234',
      business_account_id: '5678',
      access_token: 'EAAG-secret',
      app_secret: 'app-secret',
      verify_token: 'verify-me',
    };
    const r = await t.call('POST', '/v1/channels', {
      key: w.live,
      body: { type: 'whatsapp', provider: 'meta', address: '+1 415 555 0123', credentials: creds },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.address, '+14155550123');
    assert.equal(r.body.inbound_url, `https://parley.example.com/hooks/whatsapp/${r.body.id}`);
    assert.equal(r.body.credentials_set, true);
    assert.deepEqual(r.body.credential_fields, Object.keys(creds));
    assert.ok(!r.text.includes('EAAG-secret'));
    const row = await t.ctx.db
      .selectFrom('channels')
      .select('credentials')
      .where('id', '=', r.body.id)
      .executeTakeFirstOrThrow();
    assert.ok(!row.credentials.includes('EAAG-secret'), 'sealed at rest');
    assert.equal((await loadChannelConfig(t.ctx, r.body.id)).credentials.access_token, 'EAAG-secret');
    const g = await t.call('GET', `/v1/channels/${r.body.id}`, { key: w.live });
    assert.ok(!g.text.includes('EAAG-secret') && !g.text.includes('verify-me'));
    const dup = await t.call('POST', '/v1/channels', {
      key: w.live,
      body: { type: 'whatsapp', provider: 'meta', address: '+14155550123', credentials: creds },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.existing_id, r.body.id);
    assert.equal((await t.call('GET', `/v1/channels/${r.body.id}`, { key: other.live })).status, 404);
    assert.equal((await t.call('GET', `/v1/channels/${r.body.id}`, { key: w.test })).status, 404);
  });

  it('validates provider, credentials and address', async () => {
    const wrong = await t.call('POST', '/v1/channels', {
      key: w.live,
      body: { type: 'sms', provider: 'meta', address: '+14155550124' },
    });
    assert.equal(wrong.status, 400);
    const missing = await t.call('POST', '/v1/channels', {
      key: w.live,
      body: {
        type: 'sms',
        provider: 'twilio',
        address: '+14155550124',
        credentials: { account_sid: 'AC1', extra: 'x' },
      },
    });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.error.errors.map((e: { field: string }) => e.field).sort(), [
      'credentials.auth_token',
      'credentials.extra',
    ]);
    const badAddress = await t.call('POST', '/v1/channels', {
      key: w.live,
      body: { type: 'email', provider: 'smtp', address: 'not-an-email', credentials: {} },
    });
    assert.ok(badAddress.body.error.errors.some((e: { field: string }) => e.field === 'address'));
  });

  it('an SMS or voice number the full phone metadata calls invalid is refused as on every route; WhatsApp keeps test numbers', async () => {
    // +1 555 010 0123: the right length for +1, not an assigned number (Meta's test numbers look so).
    const unassigned = '+15550100123';
    const own = await t.workspace();
    const sent = await t.call('POST', '/v1/messages', {
      key: own.test,
      body: { to: unassigned, channel: 'sms', type: 'text', text: 'x' },
    });
    assert.equal(sent.status, 400, 'a message to it is refused');
    const twilio = { account_sid: 'AC1', auth_token: 't' };
    for (const body of [
      { type: 'sms', provider: 'twilio', address: unassigned, credentials: twilio },
      { type: 'sms', provider: 'sandbox', address: unassigned },
      { type: 'voice', provider: 'twilio', address: unassigned, credentials: twilio },
    ]) {
      const r = await t.call('POST', '/v1/channels', { key: own.live, body });
      assert.equal(r.status, 400, `${body.type}/${body.provider}: ${r.text}`);
      assert.deepEqual(
        r.body.error.errors.map((e: { field: string }) => e.field),
        ['address'],
      );
    }
    const good = await t.call('POST', '/v1/channels', {
      key: own.live,
      body: { type: 'sms', provider: 'twilio', address: '+14155550126', credentials: twilio },
    });
    assert.equal(good.status, 201, good.text);
    const moved = await t.call('PATCH', `/v1/channels/${good.body.id}`, {
      key: own.live,
      body: { address: unassigned },
    });
    assert.equal(moved.status, 400, moved.text);
    assert.equal(
      (await t.call('GET', `/v1/channels/${good.body.id}`, { key: own.live })).body.address,
      '+14155550126',
    );
    const wa = await t.call('POST', '/v1/channels', {
      key: own.live,
      body: {
        type: 'whatsapp',
        provider: 'meta',
        address: unassigned,
        credentials: {
          phone_number_id: '9911',
          business_account_id: '5678',
          access_token: 't',
          app_secret: 's',
          verify_token: 'v',
        },
      },
    });
    assert.equal(wa.status, 201, `a WhatsApp test number stays a channel's own: ${wa.text}`);
  });

  it('email channels get a one-time inbound token; twilio the SMS hook; update and delete', async () => {
    const email = await t.call('POST', '/v1/channels', {
      key: w.live,
      body: {
        type: 'email',
        provider: 'smtp',
        address: 'Support@Example.com',
        credentials: {
          host: 'smtp.example.com',
          port: 587,
          username: 'u',
          password: 'p',
          from: 'support@example.com',
        },
      },
    });
    assert.equal(email.status, 201, email.text);
    assert.equal(email.body.address, 'support@example.com');
    assert.match(email.body.inbound_token, /^itk_/);
    assert.equal(
      (await loadChannelConfig(t.ctx, email.body.id)).credentials.inbound_token,
      email.body.inbound_token,
    );
    const g = await t.call('GET', `/v1/channels/${email.body.id}`, { key: w.live });
    assert.equal(g.body.inbound_token, undefined);
    assert.ok(!g.body.credential_fields.includes('inbound_token'));

    const sms = await t.call('POST', '/v1/channels', {
      key: w.live,
      body: {
        type: 'sms',
        provider: 'twilio',
        address: '+14155550125',
        credentials: { account_sid: 'AC1', auth_token: 't' },
      },
    });
    assert.equal(sms.body.inbound_url, `https://parley.example.com/hooks/twilio/${sms.body.id}/sms`);
    const patched = await t.call('PATCH', `/v1/channels/${sms.body.id}`, {
      key: w.live,
      body: { status: 'disabled', settings: { messages_per_second: 1 } },
    });
    assert.equal(patched.body.status, 'disabled');
    assert.deepEqual(patched.body.settings, { messages_per_second: 1 });
    const badAgent = await t.call('PATCH', `/v1/channels/${sms.body.id}`, {
      key: w.live,
      body: { agent_id: 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D' },
    });
    assert.equal(badAgent.status, 404);
    const list = await t.call('GET', '/v1/channels?type=sms', { key: w.live });
    assert.deepEqual(
      list.body.data.map((c: { id: string }) => c.id),
      [sms.body.id],
    );
    const del = await t.call('DELETE', `/v1/channels/${sms.body.id}`, { key: w.live });
    assert.deepEqual(del.body, { id: sms.body.id, object: 'channel', deleted: true });
    assert.equal((await t.call('GET', `/v1/channels/${sms.body.id}`, { key: w.live })).status, 404);
  });
});
