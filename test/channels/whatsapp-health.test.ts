import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runFanOut } from '../../src/modules/broadcasts/broadcasts.fanout.ts';
import { WEBHOOK_FIELDS } from '../../src/modules/channels/whatsapp/whatsapp.doctor.ts';
import { templatePayload, textMessage } from '../fakes/meta-graph.ts';
import { healthyNumber } from '../fakes/meta-graph-account.ts';
import { eventually, forEachStorage } from '../support/harness.ts';
import { startWhatsAppApp, type WhatsAppApp } from '../support/whatsapp-app.ts';

/**
 * Issue 48 item 2, account health. Webhook values as Meta's webhook references show them
 * (`phone_number_quality_update`, `phone_number_name_update`, `account_update` with its
 * DISABLED_UPDATE / ACCOUNT_VIOLATION / VOLUME_BASED_PRICING_TIER_UPDATE examples,
 * `business_capability_update`); the FLAGGED quality event as Meta's older reference and public
 * handlers show it. The channel doctor against the fake's `debug_token`, `subscribed_apps`,
 * phone number and app subscription answers (test/fakes/meta-graph-account.ts).
 */
forEachStorage('WhatsApp account health and the channel doctor', (storage) => {
  let a: WhatsAppApp;
  let offsetMs = 0;
  const call = (method: string, url: string, body?: unknown) =>
    a.t.call(method, url, { key: a.ws.live, ...(body === undefined ? {} : { body }) });
  const health = async () => (await call('GET', `/v1/channels/${a.channelId}/health`)).body;
  const change = (field: string, value: Record<string, unknown>) => ({
    object: 'whatsapp_business_account',
    entry: [{ id: a.number.businessAccountId, time: 1739321024, changes: [{ value, field }] }],
  });

  before(async () => {
    a = await startWhatsAppApp(storage, { now: () => new Date(Date.now() + offsetMs) });
  });
  after(async () => a?.close());

  it('stores quality, tier, name and account webhooks; health says what is wrong in plain words', async () => {
    assert.equal((await health()).status, 'unknown');
    await a.postMeta(
      change('phone_number_quality_update', {
        display_phone_number: a.number.displayPhoneNumber,
        event: 'FLAGGED',
        current_limit: 'TIER_10K',
      }),
    );
    // Another number of the same account: not this channel's.
    await a.postMeta(
      change('phone_number_quality_update', {
        display_phone_number: '16505551111',
        event: 'DOWNGRADE',
        current_limit: 'TIER_250',
      }),
    );
    await a.postMeta(
      change('phone_number_name_update', {
        display_phone_number: a.number.displayPhoneNumber,
        decision: 'APPROVED',
        requested_verified_name: 'Lucky Shrub',
        rejection_reason: null,
      }),
    );
    await a.postMeta(
      change('account_update', {
        event: 'DISABLED_UPDATE',
        ban_info: { waba_ban_state: 'SCHEDULE_FOR_DISABLE', waba_ban_date: 'April 17, 2025' },
      }),
    );
    await a.postMeta(
      change('account_update', { event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'ADULT' } }),
    );
    // An account event Parley has no use for, a field it does not know, and junk: kept, no crash.
    await a.postMeta(
      change('account_update', {
        volume_tier_info: {
          tier_update_time: 1743451903,
          pricing_category: 'UTILITY',
          tier: '25000001:50000000',
          effective_month: '2025-11',
          region: 'INDIA',
        },
        event: 'VOLUME_BASED_PRICING_TIER_UPDATE',
      }),
    );
    await a.postMeta(change('some_future_field', { anything: true }));
    await a.postMeta(
      change('account_update', { event: 42, ban_info: 'not an object', restriction_info: 'x' }),
    );
    const h = await eventually(async () => {
      const x = await health();
      return x.events.length >= 6 ? x : undefined;
    });
    assert.equal(h.status, 'bad');
    assert.equal(h.quality, 'red');
    assert.equal(h.messaging_tier, 'TIER_10K');
    assert.equal(h.unique_users_per_24h, 10_000);
    assert.equal(h.name_status, 'approved');
    assert.equal(h.verified_name, 'Lucky Shrub');
    assert.equal(h.account_status, 'schedule_for_disable');
    assert.equal(h.violation, 'ADULT');
    assert.ok(
      h.problems.some((p: string) => /scheduled this WhatsApp Business Account to be disabled/.test(p)),
    );
    assert.ok(h.problems.some((p: string) => /Quality rating is low/.test(p)));
    assert.deepEqual(
      h.events
        .slice(0, 6)
        .map((e: any) => e.event)
        .sort(),
      // Payloads are processed side by side: in no promised order (nor are Meta's webhooks sent in one).
      [
        'ACCOUNT_VIOLATION',
        'APPROVED',
        'DISABLED_UPDATE',
        'FLAGGED',
        'VOLUME_BASED_PRICING_TIER_UPDATE',
        'account_update',
      ],
    );

    // The capability webhook gives the limit as a number; reinstatement and unflagging clear those problems.
    await a.postMeta(
      change('business_capability_update', {
        max_daily_conversation_per_phone: 2000,
        max_daily_conversations_per_business: 2000,
        max_phone_numbers_per_business: 2,
        max_phone_numbers_per_waba: 2,
      }),
    );
    await a.postMeta(
      change('account_update', {
        event: 'DISABLED_UPDATE',
        ban_info: { waba_ban_state: 'REINSTATE', waba_ban_date: 'April 17, 2025' },
      }),
    );
    await a.postMeta(
      change('phone_number_quality_update', {
        display_phone_number: a.number.displayPhoneNumber,
        event: 'UNFLAGGED',
        current_limit: 'TIER_2K',
      }),
    );
    const later = await eventually(async () => {
      const x = await health();
      return x.quality === 'green' && x.account_status === 'active' ? x : undefined;
    });
    assert.equal(later.messaging_tier, 'TIER_2K');
    assert.equal(later.status, 'bad', 'the violation still stands');

    // The inbox reads every WhatsApp channel's health in one call (agents may).
    const list = await call('GET', '/v1/channels/health');
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.data[0].channel_id, a.channelId);
    assert.equal(list.body.data[0].address, `+${a.number.displayPhoneNumber}`);

    // A health change next to a customer's message in one payload: the message is stored too.
    const both = change('phone_number_quality_update', {
      display_phone_number: a.number.displayPhoneNumber,
      event: 'UPGRADE',
      current_limit: 'TIER_10K',
    }) as any;
    both.entry[0].changes.push(
      (
        a.envelope({
          contacts: [{ profile: { name: 'Kerry' }, wa_id: '16505551234' }],
          messages: [textMessage('16505551234', 'hello there')],
        }) as any
      ).entry[0].changes[0],
    );
    await a.postMeta(both);
    await eventually(async () => {
      const convs = await call('GET', '/v1/conversations');
      return convs.body.data.length === 1;
    });
    await eventually(async () => (await health()).messaging_tier === 'TIER_10K');
  });

  it('the channel doctor answers each check with ok, warn or fail and what to fix', async () => {
    const base = await a.t.parley.app.listen({ port: 0, host: '127.0.0.1' });
    a.t.config.publicUrl = base;
    const hook = `${base}/hooks/whatsapp/${a.channelId}`;
    healthyNumber(a.meta.account, a.number);
    a.meta.account.appSubscription = { callbackUrl: hook, fields: [...WEBHOOK_FIELDS] };
    const doctor = async () => {
      const res = await call('POST', `/v1/channels/${a.channelId}/check`);
      assert.equal(res.status, 200, res.text);
      return Object.assign(res.body, {
        by: Object.fromEntries(res.body.checks.map((c: any) => [c.name, c])),
      });
    };
    const ok = await doctor();
    assert.deepEqual(
      ok.checks.map((c: any) => `${c.name}:${c.status}`),
      ['token:ok', 'subscription:ok', 'number:ok', 'webhook:ok', 'graph_version:ok'],
      JSON.stringify(ok.checks),
    );
    assert.equal(ok.status, 'ok');
    const h = await health();
    assert.equal(h.messaging_tier, 'TIER_1K', 'the number read refreshes the health');
    assert.equal(h.quality, 'green');

    // Everything wrong at once.
    const token = a.meta.account.tokens.get(a.number.accessToken)!;
    token.scopes = ['whatsapp_business_messaging'];
    a.meta.account.subscribed.delete(a.number.businessAccountId);
    a.meta.account.numberFields.set(a.number.phoneNumberId, {
      platform_type: 'NOT_APPLICABLE',
      status: 'PENDING',
    });
    a.meta.account.appSubscription = { callbackUrl: hook, fields: ['messages'] };
    const bad = await doctor();
    assert.equal(bad.status, 'fail');
    assert.equal(bad.by.token.status, 'fail');
    assert.match(bad.by.token.message, /lacks whatsapp_business_management/);
    assert.match(bad.by.token.fix, /system user token/);
    assert.match(bad.by.token.fix, new RegExp(a.channelId));
    assert.equal(bad.by.subscription.status, 'fail');
    assert.match(bad.by.subscription.fix, /subscribed_apps/);
    assert.equal(bad.by.number.status, 'fail');
    assert.match(bad.by.number.fix, /register/);
    assert.equal(bad.by.webhook.status, 'warn');
    assert.match(bad.by.webhook.message, /account_update/);

    // A token about to expire; the webhook answering someone else's verify token.
    token.scopes = ['whatsapp_business_management', 'whatsapp_business_messaging'];
    token.expiresAt = Math.floor((Date.now() + offsetMs) / 1000) + 2 * 86_400;
    a.meta.account.appSubscription = {
      callbackUrl: 'https://old-bsp.example.com/webhook',
      fields: [...WEBHOOK_FIELDS],
    };
    const soon = await doctor();
    assert.equal(soon.by.token.status, 'warn');
    assert.match(soon.by.token.message, /expires on/);
    assert.equal(soon.by.webhook.status, 'fail');
    assert.match(soon.by.webhook.message, /old-bsp\.example\.com/);

    // An invalid token; a URL that does not reach this Parley; a Graph version past Meta's end of life.
    a.meta.account.tokens.delete(a.number.accessToken);
    a.t.config.publicUrl = 'http://127.0.0.1:9';
    offsetMs = 70 * 86_400_000;
    const worst = await doctor();
    assert.equal(worst.by.token.status, 'fail');
    assert.match(worst.by.token.message, /did not accept the access token/);
    assert.equal(worst.by.webhook.status, 'fail');
    assert.equal(worst.by.graph_version.status, 'fail');
    assert.match(worst.by.graph_version.fix, /PARLEY_META_GRAPH_VERSION=v26\.0/);
    offsetMs = 0;
    a.t.config.publicUrl = base;
    healthyNumber(a.meta.account, a.number);

    // Not a Meta channel: a clear 422.
    const sms = await call('POST', '/v1/channels', {
      type: 'sms',
      provider: 'sandbox',
      address: '+14155550199',
    });
    assert.equal((await call('POST', `/v1/channels/${sms.body.id}/check`)).status, 422);
    assert.equal((await call('GET', `/v1/channels/${sms.body.id}/health`)).body.status, 'unknown');
  });

  it('broadcasts are paced by the messaging tier (unique users per 24 hours), not only throughput', async () => {
    const tpl = await call('POST', '/v1/templates', {
      name: 'restock_alert',
      language: 'en_US',
      category: 'utility',
      body: 'Your item is back in stock.',
    });
    assert.equal(tpl.status, 201, tpl.text);
    await eventually(async () => a.meta.templates.find((x) => x.body.name === 'restock_alert'));
    await a.postMeta(templatePayload(a.number, 'restock_alert', 'en_US', 'APPROVED'));
    await eventually(
      async () => (await call('GET', `/v1/templates/${tpl.body.id}`)).body.status === 'approved',
    );
    await a.postMeta(
      change('phone_number_quality_update', {
        display_phone_number: a.number.displayPhoneNumber,
        event: 'DOWNGRADE',
        old_limit: 'TIER_1K',
        current_limit: 'TIER_50',
        max_daily_conversations_per_business: 'TIER_50',
      }),
    );
    await eventually(async () => (await health()).unique_users_per_24h === 50);
    const phones = Array.from({ length: 53 }, (_, i) => `+1650555${String(2000 + i)}`);
    const before = a.meta.sends(a.number.phoneNumberId).length;
    const bc = await call('POST', '/v1/broadcasts', {
      name: 'Restock',
      template: { name: 'restock_alert', language: 'en_US' },
      phones,
    });
    assert.equal(bc.status, 202, bc.text);
    const paced = await eventually(async () => {
      const b = (await call('GET', `/v1/broadcasts/${bc.body.id}`)).body;
      return b.paced_until ? b : undefined;
    }, 60_000);
    assert.equal(paced.counts.total, 53);
    assert.ok(new Date(paced.paced_until).getTime() > Date.now() + 23 * 3_600_000);
    await eventually(async () => a.meta.sends(a.number.phoneNumberId).length === before + 50, 60_000);
    // A day on, the window has room again: the rest go.
    offsetMs = 24 * 3_600_000 + 120_000;
    await runFanOut(a.t.ctx, bc.body.id);
    await eventually(async () => a.meta.sends(a.number.phoneNumberId).length === before + 53, 30_000);
    const done = (await call('GET', `/v1/broadcasts/${bc.body.id}`)).body;
    assert.equal(done.paced_until, null);
    assert.equal(done.counts.total, 53);
    offsetMs = 0;
  });
});
