import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { eventually, forEachStorage } from '../support/harness.ts';
import { startWhatsAppApp, type WhatsAppApp } from '../support/whatsapp-app.ts';

/**
 * Template sync against the fake Graph API's `GET /{waba_id}/message_templates` (Meta's "Get
 * templates": `{data, paging: {cursors, next}}`), with templates shaped as Meta's documentation
 * shows them (the `hello_world` sample; named parameters with `body_text_named_params`; an
 * authentication template with a one-time-password button), and the `template_category_update`
 * and `message_template_quality_update` webhooks as pywa's fixtures have them.
 */
const helloWorld = {
  name: 'hello_world',
  parameter_format: 'POSITIONAL',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
    {
      type: 'BODY',
      text: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.',
    },
    { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
  ],
  language: 'en_US',
  status: 'APPROVED',
  category: 'UTILITY',
  id: '1192339204654487',
  quality_score: { score: 'GREEN', date: 1730000000 },
};
const orderConfirmation = {
  name: 'order_confirmation',
  parameter_format: 'NAMED',
  components: [
    {
      type: 'BODY',
      text: 'Thank you, {{first_name}}! Your order number is {{order_number}}.',
      example: {
        body_text_named_params: [
          { param_name: 'first_name', example: 'Pablo' },
          { param_name: 'order_number', example: '860198-230332' },
        ],
      },
    },
    {
      type: 'BUTTONS',
      buttons: [{ type: 'URL', text: 'Track order', url: 'https://www.example.com/track' }],
    },
  ],
  language: 'en_US',
  status: 'APPROVED',
  category: 'MARKETING',
  id: '2000000000000001',
  quality_score: { score: 'YELLOW', date: 1730000000 },
};
const otp = {
  name: 'login_code',
  components: [
    { type: 'BODY', text: '*{{1}}* is your verification code.', add_security_recommendation: true },
    { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
  ],
  language: 'en_US',
  status: 'APPROVED',
  category: 'AUTHENTICATION',
  id: '2000000000000002',
};
// As some listings give it: the body without its text, the footer's expiry, a one-tap button.
const otpPreset = {
  name: 'login_code_preset',
  components: [
    { type: 'BODY', add_security_recommendation: true },
    { type: 'FOOTER', code_expiration_minutes: 10 },
    {
      type: 'BUTTONS',
      buttons: [
        {
          type: 'OTP',
          otp_type: 'ONE_TAP',
          text: 'Copy code',
          autofill_text: 'Autofill',
          package_name: 'com.example.app',
          signature_hash: 'K8a/AINcGX7',
        },
      ],
    },
  ],
  language: 'en_US',
  status: 'APPROVED',
  category: 'AUTHENTICATION',
  id: '2000000000000005',
};
const locationOffer = {
  name: 'store_location',
  components: [
    { type: 'HEADER', format: 'LOCATION' },
    { type: 'BODY', text: 'Our store is here.' },
  ],
  language: 'en_US',
  status: 'APPROVED',
  category: 'MARKETING',
  id: '2000000000000003',
};
const rejected = {
  name: 'too_pushy',
  components: [{ type: 'BODY', text: 'BUY NOW!!!' }],
  language: 'en',
  status: 'REJECTED',
  rejected_reason: 'PROMOTIONAL',
  category: 'MARKETING',
  id: '2000000000000004',
};

forEachStorage('WhatsApp template sync', (storage) => {
  let a: WhatsAppApp;
  const call = (method: string, url: string, body?: unknown) =>
    a.t.call(method, url, { key: a.ws.live, ...(body === undefined ? {} : { body }) });
  const template = async (name: string, language = 'en_US') => {
    const list = await call('GET', `/v1/templates?name=${name}&language=${language}`);
    return list.body.data[0];
  };

  before(async () => {
    a = await startWhatsAppApp(storage);
    // 2,000 more templates: 20 pages of Meta's 100.
    const bulk = Array.from({ length: 2000 }, (_, i) => ({
      name: `bulk_${String(i).padStart(4, '0')}`,
      components: [{ type: 'BODY', text: `Update ${i} for {{1}}`, example: { body_text: [['Asha']] } }],
      language: 'en',
      status: 'APPROVED',
      category: 'UTILITY',
      id: String(3000000000000000 + i),
    }));
    a.meta.wabaTemplates.set(a.number.businessAccountId, [
      helloWorld,
      orderConfirmation,
      otp,
      otpPreset,
      locationOffer,
      rejected,
      ...bulk,
    ]);
  });
  after(async () => a?.close());

  it('adopts every template with its real status, category, quality and components, submitting nothing', async () => {
    // A template Parley already has (pending, submitted from here): the sync takes Meta's verdict.
    const mine = await call('POST', '/v1/templates', {
      name: 'hello_world',
      language: 'en_US',
      category: 'utility',
      body: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.',
    });
    assert.equal(mine.status, 201, mine.text);
    await eventually(async () => a.meta.templates.length === 1);
    const submitted = a.meta.templates.length;

    const res = await call('POST', `/v1/channels/${a.channelId}/templates/sync`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.fetched, 2006);
    assert.equal(res.body.created, 2004);
    assert.equal(res.body.updated, 1);
    assert.deepEqual(
      res.body.skipped.map((s: any) => s.name),
      ['store_location'],
    );
    const pages = a.meta.requests.filter((r) => r.path.endsWith('/message_templates') && r.method === 'GET');
    assert.equal(pages.length, 21);
    assert.equal(a.meta.templates.length, submitted, 'nothing was submitted to Meta again');

    const hello = await template('hello_world');
    assert.equal(hello.id, mine.body.id);
    assert.equal(hello.status, 'approved');
    assert.equal(hello.quality, 'green');
    assert.deepEqual(hello.header, { type: 'text', text: 'Hello World' });
    assert.equal(hello.footer, 'WhatsApp Business Platform sample message');
    const order = await template('order_confirmation');
    assert.equal(order.category, 'marketing');
    assert.equal(order.quality, 'yellow');
    assert.deepEqual(order.placeholders, ['first_name', 'order_number']);
    assert.deepEqual(order.buttons, [
      { type: 'url', text: 'Track order', url: 'https://www.example.com/track' },
    ]);
    const no = await template('too_pushy', 'en');
    assert.equal(no.status, 'rejected');
    assert.equal(no.status_reason, 'PROMOTIONAL');

    // An adopted approved template is sent at once.
    const send = await call('POST', '/v1/messages', {
      to: '+16505551701',
      type: 'template',
      template: {
        name: 'order_confirmation',
        language: 'en_US',
        variables: { first_name: 'Pablo', order_number: '860198-230332' },
      },
    });
    assert.equal(send.status, 201, send.text);
    const sent = await eventually(async () =>
      a.meta.sends(a.number.phoneNumberId).find((r) => r.body.template?.name === 'order_confirmation'),
    );
    assert.equal(sent.body.template.language.code, 'en_US');

    // Authentication templates: OTP buttons, a body without samples (or, as some listings have
    // it, no body text at all: Meta's preset). Adopted, and sent with the code in the body and
    // in the button, as Meta's authentication template sends take it.
    for (const name of ['login_code', 'login_code_preset']) {
      const auth = await template(name);
      assert.equal(auth.category, 'authentication');
      assert.equal(auth.status, 'approved');
      assert.deepEqual(
        auth.buttons.map((b: any) => b.type),
        ['otp'],
      );
    }
    assert.equal((await template('login_code_preset')).body, '{{1}} is your verification code.');
    const code = await call('POST', '/v1/messages', {
      to: '+16505551702',
      type: 'template',
      template: { name: 'login_code', language: 'en_US', variables: ['483921'] },
    });
    assert.equal(code.status, 201, code.text);
    const otpSent = await eventually(async () =>
      a.meta.sends(a.number.phoneNumberId).find((r) => r.body.template?.name === 'login_code'),
    );
    assert.deepEqual(otpSent.body.template.components, [
      { type: 'body', parameters: [{ type: 'text', text: '483921' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '483921' }] },
    ]);

    // A second sync finds them as they are.
    const again = await call('POST', `/v1/channels/${a.channelId}/templates/sync`);
    assert.equal(again.status, 200);
    assert.equal(again.body.created, 0);
    assert.equal(again.body.unchanged, 2005);
  });

  it('category and quality webhooks update the template; a scheduled broadcast of a template turned marketing is flagged', async () => {
    const bc = await call('POST', '/v1/broadcasts', {
      name: 'Later',
      template: { name: 'bulk_0001', language: 'en' },
      phones: ['+16505551702'],
      variables: ['Asha'],
      send_at: '2031-01-01T09:00:00Z',
    });
    assert.equal(bc.status, 202, bc.text);
    assert.equal(bc.body.warning, null);
    // pywa's fixture shapes: template_category_update and message_template_quality_update.
    await a.postMeta(
      a.envelope(
        {
          message_template_id: 3000000000000001,
          message_template_name: 'bulk_0001',
          message_template_language: 'en',
          previous_category: 'UTILITY',
          new_category: 'MARKETING',
        },
        'template_category_update',
      ),
    );
    await a.postMeta(
      a.envelope(
        {
          previous_quality_score: 'GREEN',
          new_quality_score: 'YELLOW',
          message_template_id: 1192339204654487,
          message_template_name: 'hello_world',
          message_template_language: 'en_US',
        },
        'message_template_quality_update',
      ),
    );
    await eventually(async () => (await template('bulk_0001', 'en')).category === 'marketing');
    await eventually(async () => (await template('hello_world')).quality === 'yellow');
    const flagged = await call('GET', `/v1/broadcasts/${bc.body.id}`);
    assert.match(flagged.body.warning, /bulk_0001 \(en\) from utility to marketing/);
  });

  it('a token without whatsapp_business_management is a 422 saying what to fix; a webhook field Parley does not know is kept, not a crash', async () => {
    a.meta.templateListScript.push({
      kind: 'error',
      status: 403,
      code: 200,
      message: '(#200) Requires whatsapp_business_management permission to manage the object',
    });
    const res = await call('POST', `/v1/channels/${a.channelId}/templates/sync`);
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error.code, 'channel_not_configured');
    assert.match(res.body.error.message, /whatsapp_business_management/);
    await a.postMeta(a.envelope({ something_new: { a: 1 } }, 'a_field_from_2027'));
    const stored = await eventually(() =>
      a.t.ctx.db
        .selectFrom('provider_inbound')
        .selectAll()
        .where('raw_body', 'like', '%a_field_from_2027%')
        .where('processed_at', 'is not', null)
        .executeTakeFirst(),
    );
    assert.equal(stored.error, null);
  });
});
