import assert from 'node:assert/strict';
import { signMetaPayload } from '../../src/modules/channels/whatsapp/meta-protocol.ts';
import { FakeMetaGraph, type FakeNumber, templatePayload } from '../fakes/meta-graph.ts';
import { eventually, type Storage, startTestApp, type TestApp, type Workspace } from './harness.ts';
import { providerTestModules } from './provider-modules.ts';

/** A test app with one live WhatsApp channel on a fake Graph API, and helpers to post Meta's webhooks. */
export interface WhatsAppApp {
  t: TestApp;
  meta: FakeMetaGraph;
  ws: Workspace;
  number: FakeNumber;
  channelId: string;
  /** Meta's envelope around one change (`field` defaults to `messages`, whose metadata it adds). */
  envelope(value: Record<string, unknown>, field?: string): unknown;
  /** Posts a body signed with the app secret to the channel's hook; asserts 200. */
  postMeta(payload: unknown): Promise<void>;
  /**
   * Creates a one-variable `en_US` template (`Hi {{1}}, ...`), waits until it reaches the fake
   * Graph API, and approves it with Meta's status webhook; returns its id once Parley shows it approved.
   */
  approveTemplate(name: string, category: 'marketing' | 'utility'): Promise<string>;
  close(): Promise<void>;
}

export async function startWhatsAppApp(
  storage: Storage,
  opts: {
    version?: string;
    env?: Record<string, string>;
    display?: string;
    now?: () => Date;
  } = {},
): Promise<WhatsAppApp> {
  const version = opts.version ?? 'v21.0';
  const meta = new FakeMetaGraph(version);
  meta.statusWebhooks = false;
  await meta.start();
  const t = await startTestApp(storage, {
    env: { PARLEY_META_GRAPH_URL: meta.url, PARLEY_META_GRAPH_VERSION: version, ...opts.env },
    modules: providerTestModules(),
    ...(opts.now ? { testing: { now: opts.now } } : {}),
  });
  const ws = await t.workspace({ default_country: 'US' });
  const display = opts.display ?? '15550783881';
  const number = meta.addNumber({ displayPhoneNumber: display });
  const wa = await t.call('POST', '/v1/channels', {
    key: ws.live,
    body: {
      type: 'whatsapp',
      provider: 'meta',
      address: `+${display}`,
      credentials: {
        phone_number_id: number.phoneNumberId,
        business_account_id: number.businessAccountId,
        access_token: number.accessToken,
        app_secret: number.appSecret,
        verify_token: 'v',
      },
    },
  });
  assert.equal(wa.status, 201, wa.text);
  const channelId = wa.body.id as string;
  const envelope = (value: Record<string, unknown>, field = 'messages') => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: number.businessAccountId,
        time: Math.floor(Date.now() / 1000),
        changes: [
          {
            field,
            value:
              field === 'messages'
                ? {
                    messaging_product: 'whatsapp',
                    metadata: {
                      display_phone_number: number.displayPhoneNumber,
                      phone_number_id: number.phoneNumberId,
                    },
                    ...value,
                  }
                : value,
          },
        ],
      },
    ],
  });
  const postMeta = async (payload: unknown) => {
    const raw = JSON.stringify(payload);
    const res = await t.call('POST', `/hooks/whatsapp/${channelId}`, {
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaPayload(raw, number.appSecret),
      },
    });
    assert.equal(res.status, 200, res.text);
  };
  const approveTemplate = async (name: string, category: 'marketing' | 'utility') => {
    const res = await t.call('POST', '/v1/templates', {
      key: ws.live,
      body: { name, language: 'en_US', category, body: 'Hi {{1}}, something for you.' },
    });
    assert.equal(res.status, 201, res.text);
    await eventually(async () => meta.templates.find((x) => x.body.name === name));
    await postMeta(templatePayload(number, name, 'en_US', 'APPROVED'));
    await eventually(
      async () =>
        (await t.call('GET', `/v1/templates/${res.body.id}`, { key: ws.live })).body.status === 'approved',
    );
    return res.body.id as string;
  };
  return {
    t,
    meta,
    ws,
    number,
    channelId,
    envelope,
    postMeta,
    approveTemplate,
    close: async () => {
      await meta.settled();
      await t.close();
      await meta.stop();
    },
  };
}
