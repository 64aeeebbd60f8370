import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';
import {
  type AssertionInput,
  acsForm,
  authnRequestOf,
  newId,
  newSamlKey,
  type SamlKey,
  samlResponseXml,
  signSaml,
} from '../support/saml-idp.ts';

const PUBLIC_URL = 'http://parley.test';
const ACS = `${PUBLIC_URL}/v1/sso/saml/acs`;
const IDP_ENTITY = 'https://idp.test/saml/metadata';
const IDP_SSO = 'https://idp.test/saml/sso';

/** Issue 63: SAML 2.0 sign-in, against responses the test builds and signs with its own key. */
forEachStorage('SAML single sign-on', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let idpKey: SamlKey;
  let otherKey: SamlKey;
  let spEntity: string;
  before(async () => {
    [idpKey, otherKey] = await Promise.all([newSamlKey(), newSamlKey('evil.test')]);
    t = await startTestApp(storage, { env: { PARLEY_PUBLIC_URL: PUBLIC_URL } });
    ws = await t.workspace();
    spEntity = `${PUBLIC_URL}/v1/sso/${ws.id}/saml/metadata`;
    const put = await t.call('PUT', '/v1/sso-settings', { key: ws.live, body: settings() });
    assert.equal(put.status, 200, put.text);
  });
  after(async () => {
    await t?.close();
  });

  const settings = (over: Record<string, unknown> = {}, saml: Record<string, unknown> = {}) => ({
    enabled: true,
    protocol: 'saml',
    saml: { idp_entity_id: IDP_ENTITY, idp_sso_url: IDP_SSO, idp_certificate: idpKey.cert, ...saml },
    allowed_email_domains: ['glow.in'],
    jit_provisioning: true,
    role_claim: 'groups',
    role_mapping: [{ value: 'parley-admins', role: 'admin' }],
    ...over,
  });
  const putSettings = async (body: Record<string, unknown>) => {
    const put = await t.call('PUT', '/v1/sso-settings', { key: ws.live, body });
    assert.equal(put.status, 200, put.text);
  };

  const start = async () => {
    const res = await t.call('GET', `/v1/sso/${ws.id}/saml/start`);
    assert.equal(res.status, 303, res.text);
    return authnRequestOf(String(res.headers.location));
  };
  const post = (xml: string, relayState?: string | null) =>
    t.call('POST', '/v1/sso/saml/acs', {
      payload: acsForm(xml, relayState),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  const fragmentOf = (res: { status: number; headers: Record<string, unknown>; text: string }) => {
    assert.equal(res.status, 303, res.text);
    const location = String(res.headers.location);
    assert.ok(location.startsWith('/app/login#'), location);
    return new URLSearchParams(location.split('#')[1]);
  };
  const assertion = (over: Partial<AssertionInput> = {}): AssertionInput => ({
    issuer: IDP_ENTITY,
    audience: spEntity,
    recipient: ACS,
    destination: ACS,
    email: 'someone@glow.in',
    ...over,
  });
  /** A browser's SP-initiated sign-in: Parley's start, the provider's signed answer to Parley's ACS. */
  const signIn = async (
    over: Partial<AssertionInput> = {},
    sign: (xml: string) => string = (xml) => signSaml(xml, idpKey, 'assertion'),
  ) => {
    const request = await start();
    const xml = sign(samlResponseXml(assertion({ inResponseTo: request.id, ...over })));
    const res = await post(xml, request.relayState);
    return { fragment: fragmentOf(res), xml, request };
  };
  const exchange = (code: string) => t.call('POST', '/v1/auth/sso/exchange', { body: { code } });
  const users = async () => (await t.call('GET', '/v1/users?limit=100', { key: ws.live })).body.data as any[];
  const audit = async (action: string) =>
    (await t.call('GET', `/v1/audit-log?action=${action}&limit=100`, { key: ws.live })).body.data as any[];

  /** Runs a sign-in that must be refused: nothing created, the reason audited once more. */
  const refused = async (run: () => Promise<URLSearchParams>, reason: string, why?: RegExp) => {
    const before = (await users()).length;
    const audited = (await audit('auth.sign_in_refused')).length;
    const fragment = await run();
    assert.equal(fragment.get('sso_error'), reason, fragment.toString());
    assert.equal(fragment.get('sso_code'), null);
    if (why) assert.match(fragment.get('message') ?? '', why);
    assert.equal((await users()).length, before, 'nobody is created');
    const entries = await audit('auth.sign_in_refused');
    assert.equal(entries.length, audited + 1);
    assert.equal(entries[0].details.method, 'saml');
    assert.equal(entries[0].details.reason, reason);
    return fragment;
  };

  it('SP-initiated: an AuthnRequest with a RelayState; the signed answer signs a new person in', async () => {
    const request = await start();
    assert.equal(request.url.origin + request.url.pathname, IDP_SSO);
    assert.equal(request.acsUrl, ACS);
    assert.equal(request.destination, IDP_SSO);
    assert.match(request.xml, new RegExp(`<saml:Issuer[^>]*>${spEntity}</saml:Issuer>`));
    assert.ok(request.relayState && request.relayState.length >= 20);
    const xml = signSaml(
      samlResponseXml(
        assertion({
          inResponseTo: request.id,
          email: 'meera@glow.in',
          attributes: { email: ['Meera@Glow.in'], displayName: ['Meera Iyer'] },
        }),
      ),
      idpKey,
      'assertion',
    );
    const fragment = fragmentOf(await post(xml, request.relayState));
    const code = fragment.get('sso_code');
    assert.ok(code, fragment.toString());
    const session = await exchange(code);
    assert.equal(session.status, 200, session.text);
    assert.equal(session.body.user.email, 'meera@glow.in');
    assert.equal(session.body.user.name, 'Meera Iyer');
    assert.equal(session.body.user.role, 'agent');
    const me = await t.call('GET', '/v1/me', { key: session.body.token });
    assert.equal(me.status, 200, me.text);
    const signIns = await audit('auth.sign_in');
    assert.ok(signIns.some((e) => e.actor.id === session.body.user.id && e.details.method === 'saml'));
    assert.ok((await audit('auth.sso_user_created')).some((e) => e.object_id === session.body.user.id));
  });

  it('a signed response (assertion unsigned) signs in too; a group maps to a role', async () => {
    const { fragment } = await signIn(
      { email: 'ravi@glow.in', attributes: { groups: ['staff', 'parley-admins'] } },
      (xml) => signSaml(xml, idpKey, 'response'),
    );
    const session = await exchange(fragment.get('sso_code')!);
    assert.equal(session.status, 200, session.text);
    assert.equal(session.body.user.role, 'admin');
    const both = await signIn({ email: 'both@glow.in' }, (xml) => signSaml(xml, idpKey, 'both'));
    assert.ok(both.fragment.get('sso_code'), both.fragment.toString());
  });

  it('IdP-initiated: refused by default, accepted when the workspace allows it', async () => {
    const unasked = () =>
      signSaml(samlResponseXml(assertion({ email: 'tile@glow.in' })), idpKey, 'assertion');
    await refused(async () => fragmentOf(await post(unasked())), 'idp_initiated_not_allowed');
    await putSettings(settings({}, { allow_idp_initiated: true }));
    try {
      const fragment = fragmentOf(await post(unasked(), 'https://foreign.example/relay'));
      assert.ok(fragment.get('sso_code'), fragment.toString());
      const session = await exchange(fragment.get('sso_code')!);
      assert.equal(session.body.user.email, 'tile@glow.in');
      // Allowed or not, an InResponseTo must answer a request Parley sent.
      await refused(
        async () =>
          fragmentOf(
            await post(signSaml(samlResponseXml(assertion({ inResponseTo: newId() })), idpKey, 'assertion')),
          ),
        'unknown_request',
      );
    } finally {
      await putSettings(settings());
    }
  });

  it('refuses an unsigned response, and one signed by another key', async () => {
    await refused(async () => (await signIn({}, (xml) => xml)).fragment, 'invalid_assertion', /signature/i);
    for (const what of ['assertion', 'response', 'both'] as const)
      await refused(
        async () => (await signIn({}, (xml) => signSaml(xml, otherKey, what))).fragment,
        'invalid_assertion',
        /signature/i,
      );
  });

  it('refuses a changed assertion under the real signature', async () => {
    await refused(
      async () =>
        (
          await signIn({ email: 'low@glow.in' }, (xml) =>
            signSaml(xml, idpKey, 'assertion').replace('low@glow.in', 'boss@glow.in'),
          )
        ).fragment,
      'invalid_assertion',
      /signature/i,
    );
  });

  it('refuses the wrong audience, recipient, destination, issuer; an expired or not yet valid assertion', async () => {
    const cases: Array<[string, Partial<AssertionInput>, RegExp]> = [
      ['audience', { audience: 'https://other-sp.example/metadata' }, /audience/i],
      [
        'audience of another workspace',
        { audience: `${PUBLIC_URL}/v1/sso/${ws.id}/saml/metadata?mode=test` },
        /audience/i,
      ],
      ['recipient', { recipient: 'https://evil.example/acs' }, /Recipient/],
      ['destination', { destination: 'https://evil.example/acs' }, /Destination/],
      ['issuer', { issuer: 'https://idp.evil.example' }, /issuer/i],
      ['expired', { notBefore: -3_600_000, notOnOrAfter: -1_800_000 }, /no valid subject confirmation/i],
      ['not yet valid', { notBefore: 1_800_000, notOnOrAfter: 3_600_000 }, /not yet valid/i],
    ];
    for (const [name, over, why] of cases) {
      const fragment = await refused(async () => (await signIn(over)).fragment, 'invalid_assertion');
      assert.match(fragment.get('message') ?? '', why, name);
    }
  });

  it('refuses a replayed assertion and a used or made-up RelayState', async () => {
    const { fragment, xml, request } = await signIn({ email: 'once@glow.in' });
    assert.ok(fragment.get('sso_code'));
    // The same post again: its sign-in is used, so the response answers no pending request.
    await refused(async () => fragmentOf(await post(xml, request.relayState)), 'unknown_request');
    // The same assertion in a fresh sign-in's answer (its InResponseTo rewritten, response re-signed
    // by the IdP): the assertion id was used.
    const assertionId = newId();
    const first = await signIn({ email: 'twice@glow.in', assertionId });
    assert.ok(first.fragment.get('sso_code'), first.fragment.toString());
    await refused(
      async () => (await signIn({ email: 'twice@glow.in', assertionId })).fragment,
      'replayed_assertion',
    );
    // IdP-initiated replays too.
    await putSettings(settings({}, { allow_idp_initiated: true }));
    try {
      const unasked = signSaml(samlResponseXml(assertion({ email: 'tile2@glow.in' })), idpKey, 'assertion');
      assert.ok(fragmentOf(await post(unasked)).get('sso_code'));
      await refused(async () => fragmentOf(await post(unasked)), 'replayed_assertion');
    } finally {
      await putSettings(settings());
    }
  });

  it('refuses an InResponseTo of no pending request', async () => {
    const request = await start();
    await refused(
      async () =>
        fragmentOf(
          await post(
            signSaml(samlResponseXml(assertion({ inResponseTo: newId() })), idpKey, 'assertion'),
            request.relayState,
          ),
        ),
      'unknown_request',
    );
    // The subject confirmation answering another request than the response says: refused too.
    const again = await start();
    const xml = samlResponseXml(assertion({ inResponseTo: again.id })).replace(
      /(<saml:SubjectConfirmationData[^>]*InResponseTo=")[^"]*"/,
      `$1${newId()}"`,
    );
    await refused(
      async () => fragmentOf(await post(signSaml(xml, idpKey, 'assertion'), again.relayState)),
      'invalid_assertion',
    );
  });

  it('refuses XML signature wrapping', async () => {
    const forgedAssertion = (xml: string, email: string) => {
      const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
      return signed
        .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
        .replace(/ID="[^"]*"/, `ID="${newId()}"`)
        .replace(/someone@glow\.in/g, email);
    };
    const wrappings: Array<[string, (signedXml: string) => string]> = [
      [
        'a second, unsigned assertion beside the signed one',
        (x) => x.replace('</samlp:Response>', `${forgedAssertion(x, 'boss@glow.in')}</samlp:Response>`),
      ],
      [
        'the signed assertion moved into Extensions, a forged one in its place',
        (x) => {
          const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(x)![0];
          return x.replace(
            signed,
            `<samlp:Extensions>${signed}</samlp:Extensions>${forgedAssertion(x, 'boss@glow.in')}`,
          );
        },
      ],
      [
        'the signature moved into a forged assertion with the same ID',
        (x) => {
          const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(x)![0];
          const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
          const id = /ID="([^"]*)"/.exec(signed)![1]!;
          const forged = forgedAssertion(x, 'boss@glow.in')
            .replace(/ID="[^"]*"/, `ID="${id}"`)
            .replace(/(<saml:Issuer>[^<]*<\/saml:Issuer>)/, `$1${signature}`);
          return x.replace(signed, `${forged}<samlp:Extensions>${signed}</samlp:Extensions>`);
        },
      ],
    ];
    for (const [name, wrap] of wrappings) {
      const fragment = await refused(
        async () => (await signIn({}, (xml) => wrap(signSaml(xml, idpKey, 'assertion')))).fragment,
        'invalid_assertion',
      );
      assert.match(fragment.get('message') ?? '', /Invalid signature/, name);
    }
    assert.ok(!(await users()).some((u) => u.email === 'boss@glow.in'));
  });

  it('refuses an email domain not allowed, and an unknown person without just-in-time creation', async () => {
    const fragment = await refused(
      async () => (await signIn({ email: 'mallory@evil.example' })).fragment,
      'domain_not_allowed',
    );
    assert.match(fragment.get('message') ?? '', /evil\.example/);
    assert.ok((await audit('auth.sign_in_refused')).some((e) => e.details.email === 'mallory@evil.example'));
    await putSettings(settings({ jit_provisioning: false }));
    try {
      await refused(async () => (await signIn({ email: 'newbie@glow.in' })).fragment, 'no_user');
    } finally {
      await putSettings(settings());
    }
  });

  it('a response for no workspace of this server is a 400; a bad form is a 400', async () => {
    const foreign = signSaml(
      samlResponseXml(assertion({ audience: 'https://elsewhere.example/sp' })),
      idpKey,
      'assertion',
    );
    for (const payload of [acsForm(foreign), acsForm('<not-saml/>'), 'SAMLResponse=%%%', 'RelayState=x']) {
      const res = await t.call('POST', '/v1/sso/saml/acs', {
        payload,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.status, 400, `${payload}: ${res.text}`);
      assert.equal(res.body.error.code, 'validation_failed');
    }
  });

  it('settings: protocol saml shows what to register; a bad certificate is a 400 and changes nothing', async () => {
    const got = await t.call('GET', '/v1/sso-settings', { key: ws.live });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.protocol, 'saml');
    assert.equal(got.body.saml.sp_entity_id, spEntity);
    assert.equal(got.body.saml.metadata_url, spEntity);
    assert.equal(got.body.saml.acs_url, ACS);
    assert.equal(got.body.saml.idp_entity_id, IDP_ENTITY);
    assert.equal(got.body.saml.allow_idp_initiated, false);
    assert.ok(Date.parse(got.body.saml.idp_certificate_expires_at) > Date.now());
    assert.equal(got.body.start_url, `${PUBLIC_URL}/v1/sso/${ws.id}/saml/start`);
    const bad = [
      settings({}, { idp_certificate: 'not a certificate' }),
      settings({}, { idp_certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }),
      settings({}, { idp_sso_url: 'not a url' }),
      { ...settings(), saml: undefined },
    ];
    for (const body of bad) {
      const r = await t.call('PUT', '/v1/sso-settings', { key: ws.live, body });
      assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 200)}: ${r.text}`);
      assert.equal(r.body.error.code, 'validation_failed');
      assert.match(r.body.error.errors[0].field, /^saml/);
    }
    assert.deepEqual((await t.call('GET', '/v1/sso-settings', { key: ws.live })).body, got.body);
    // The certificate's bare base64 (as metadata shows it) is taken too.
    const bare = idpKey.cert.replace(/-----[A-Z ]+-----|\s/g, '');
    const put = await t.call('PUT', '/v1/sso-settings', {
      key: ws.live,
      body: settings({}, { idp_certificate: bare }),
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.saml.idp_certificate.replace(/\s/g, ''), idpKey.cert.replace(/\s/g, ''));
    const changes = await audit('sso.settings_changed');
    assert.ok(changes.length > 0);
  });

  it('lookup and metadata: the sign-in starts at SAML; the SP metadata names the entity and ACS', async () => {
    const lookup = await t.call('POST', '/v1/auth/sso/lookup', { body: { email: 'x@glow.in' } });
    assert.equal(lookup.status, 200, lookup.text);
    assert.equal(lookup.body.protocol, 'saml');
    assert.equal(lookup.body.start_url, `/v1/sso/${ws.id}/saml/start`);
    const meta = await t.call('GET', `/v1/sso/${ws.id}/saml/metadata`);
    assert.equal(meta.status, 200, meta.text);
    assert.match(String(meta.headers['content-type']), /application\/samlmetadata\+xml/);
    assert.ok(meta.text.includes(`entityID="${spEntity}"`), meta.text);
    assert.ok(meta.text.includes(`Location="${ACS}"`));
    assert.equal((await t.call('GET', `/v1/sso/${ws.id}/saml/metadata?mode=test`)).status, 404);
    // The OIDC start of a SAML workspace is a 404, and a SAML start of an OIDC-less one too.
    assert.equal((await t.call('GET', `/v1/sso/${ws.id}/oidc/start`)).status, 404);
    assert.equal((await t.call('GET', `/v1/sso/${ws.id}/saml/start?mode=test`)).status, 404);
  });
});
