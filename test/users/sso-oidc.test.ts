import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { SignJWT } from 'jose';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';
import { newSigningKey, signIdToken, TestIdp } from '../support/oidc-idp.ts';

const PUBLIC_URL = 'http://parley.test';
const CALLBACK = `${PUBLIC_URL}/v1/sso/oidc/callback`;

/** Issue 63: OIDC sign-in against a real provider (oidc-provider) run by the test. */
forEachStorage('OIDC single sign-on', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let idp: TestIdp;
  before(async () => {
    idp = await new TestIdp().start(CALLBACK);
    t = await startTestApp(storage, {
      env: { PARLEY_PUBLIC_URL: PUBLIC_URL, PARLEY_SSO_ALLOW_PRIVATE: '1' },
    });
    ws = await t.workspace();
    const put = await t.call('PUT', '/v1/sso-settings', { key: ws.live, body: settings() });
    assert.equal(put.status, 200, put.text);
  });
  after(async () => {
    await t?.close();
    await idp?.close();
  });

  const settings = (over: Record<string, unknown> = {}) => ({
    enabled: true,
    oidc: { issuer_url: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret },
    allowed_email_domains: ['glow.in'],
    jit_provisioning: true,
    role_claim: 'groups',
    role_mapping: [{ value: 'parley-admins', role: 'admin' }],
    ...over,
  });

  let n = 0;
  const account = (email: string, extra: Record<string, unknown> = {}) => {
    const sub = `sub-${++n}`;
    idp.accounts.set(sub, { email, email_verified: true, name: `Person ${n}`, ...extra });
    return sub;
  };

  /** A browser's sign-in: Parley's start, the provider, back to Parley's callback. */
  const signIn = async (sub: string) => {
    idp.signInAs = sub;
    const start = await t.call('GET', `/v1/sso/${ws.id}/oidc/start`);
    assert.equal(start.status, 303, start.text);
    const authUrl = new URL(start.headers.location as string);
    assert.equal(authUrl.origin, idp.issuer);
    assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authUrl.searchParams.get('nonce') && authUrl.searchParams.get('state'));
    assert.equal(authUrl.searchParams.get('redirect_uri'), CALLBACK);
    const back = await idp.browse(authUrl.href, CALLBACK);
    const callbackPath = back.pathname + back.search;
    const done = await t.call('GET', callbackPath);
    return { done, callbackPath, fragment: fragmentOf(done) };
  };
  const fragmentOf = (res: { status: number; headers: Record<string, unknown> }) => {
    assert.equal(res.status, 303);
    const location = String(res.headers.location);
    assert.ok(location.startsWith('/app/login#'), location);
    return new URLSearchParams(location.split('#')[1]);
  };
  const exchange = (code: string) => t.call('POST', '/v1/auth/sso/exchange', { body: { code } });
  const users = async () => (await t.call('GET', '/v1/users?limit=100', { key: ws.live })).body.data as any[];
  const audit = async (action: string) =>
    (await t.call('GET', `/v1/audit-log?action=${action}&limit=100`, { key: ws.live })).body.data as any[];

  it('signs a new person in: created just in time, a session like a password sign-in', async () => {
    const sub = account('meera@glow.in', { name: 'Meera Iyer' });
    const { fragment } = await signIn(sub);
    const code = fragment.get('sso_code');
    assert.ok(code, fragment.toString());
    const session = await exchange(code);
    assert.equal(session.status, 200, session.text);
    assert.equal(session.body.user.email, 'meera@glow.in');
    assert.equal(session.body.user.name, 'Meera Iyer');
    assert.equal(session.body.user.role, 'agent');
    assert.equal(session.body.user.has_password, false);
    const me = await t.call('GET', '/v1/me', { key: session.body.token });
    assert.equal(me.status, 200, me.text);
    const sessions = await t.call('GET', '/v1/me/sessions', { key: session.body.token });
    assert.equal(sessions.body.data.length, 1);
    // The code works once.
    const again = await exchange(code);
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, 'unauthorized');
    const signIns = await audit('auth.sign_in');
    assert.ok(signIns.some((e) => e.actor.id === session.body.user.id && e.details.method === 'oidc'));
    assert.ok((await audit('auth.sso_user_created')).some((e) => e.object_id === session.body.user.id));
  });

  it('matches an existing user by email, and maps a group to a role', async () => {
    const made = await t.call('POST', '/v1/users', {
      key: ws.live,
      body: { name: 'Ravi', email: 'ravi@glow.in', role: 'agent', password: 'ravi password 1' },
    });
    assert.equal(made.status, 201, made.text);
    const before = (await users()).length;
    const { fragment } = await signIn(account('Ravi@Glow.in', { groups: ['parley-admins'] }));
    const session = await exchange(fragment.get('sso_code')!);
    assert.equal(session.status, 200, session.text);
    assert.equal(session.body.user.id, made.body.id);
    assert.equal(session.body.user.role, 'admin');
    assert.equal((await users()).length, before);
    assert.equal((await t.call('GET', '/v1/api-keys', { key: session.body.token })).status, 200);
  });

  it('maps a group to a role the workspace defines (by name, kept as its id); an unknown role is refused', async () => {
    const role = await t.call('POST', '/v1/roles', {
      key: ws.live,
      body: {
        name: 'Night shift',
        permissions: ['conversations:read', 'conversations:write'],
        visibility: 'team',
      },
    });
    assert.equal(role.status, 201, role.text);
    const unknown = await t.call('PUT', '/v1/sso-settings', {
      key: ws.live,
      body: settings({ role_mapping: [{ value: 'night', role: 'Day shift' }] }),
    });
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(unknown.body.error.errors[0].field, 'role_mapping.0.role');
    const put = await t.call('PUT', '/v1/sso-settings', {
      key: ws.live,
      body: settings({
        role_mapping: [
          { value: 'parley-admins', role: 'admin' },
          { value: 'night', role: 'Night shift' },
        ],
      }),
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.role_mapping[1].role, role.body.id);
    const { fragment } = await signIn(account('kiran@glow.in', { groups: ['night'] }));
    const session = await exchange(fragment.get('sso_code')!);
    assert.equal(session.status, 200, session.text);
    const made = (await users()).find((u) => u.email === 'kiran@glow.in');
    assert.equal(made.role, role.body.id);
    // The role's permissions hold: conversations, not settings.
    assert.equal((await t.call('GET', '/v1/conversations', { key: session.body.token })).status, 200);
    assert.equal((await t.call('GET', '/v1/sso-settings', { key: session.body.token })).status, 403);
    const back = await t.call('PUT', '/v1/sso-settings', { key: ws.live, body: settings() });
    assert.equal(back.status, 200, back.text);
  });

  it('refuses an email domain not allowed: nothing created, an audit entry', async () => {
    const before = (await users()).length;
    const { fragment } = await signIn(account('mallory@evil.example'));
    assert.equal(fragment.get('sso_error'), 'domain_not_allowed');
    assert.equal(fragment.get('sso_code'), null);
    assert.equal((await users()).length, before);
    const refused = await audit('auth.sign_in_refused');
    assert.ok(
      refused.some(
        (e) => e.details.reason === 'domain_not_allowed' && e.details.email === 'mallory@evil.example',
      ),
    );
  });

  it('refuses a replayed state and an unknown one with the error shape', async () => {
    const { callbackPath, fragment } = await signIn(account('asha@glow.in'));
    assert.ok(fragment.get('sso_code'));
    const replay = await t.call('GET', callbackPath);
    assert.equal(replay.status, 401, replay.text);
    assert.equal(replay.body.error.code, 'unauthorized');
    const unknown = await t.call('GET', '/v1/sso/oidc/callback?state=made-up&code=x');
    assert.equal(unknown.status, 401);
    const missing = await t.call('GET', '/v1/sso/oidc/callback?code=x');
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'validation_failed');
  });

  /** Signs in with the provider's id_token replaced by `forge`'s; answers the refusal's reason. */
  const forged = async (forge: NonNullable<TestIdp['forge']>) => {
    const before = (await users()).length;
    idp.forge = forge;
    try {
      const { fragment } = await signIn(account(`forged${n}@glow.in`));
      if (fragment.get('sso_error')) assert.equal((await users()).length, before, 'nobody is created');
      return fragment;
    } finally {
      idp.forge = undefined;
    }
  };

  it('refuses forged id_tokens: audience, expiry, nonce, issuer, alg none, HS256 with the public key, an unknown key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, NonNullable<TestIdp['forge']>, RegExp]> = [
      ['wrong audience', (_t, c) => signIdToken({ ...c, aud: 'someone-else' }, idp.key), /"aud"/],
      ['expired', (_t, c) => signIdToken({ ...c, iat: now - 7200, exp: now - 3600 }, idp.key), /"exp"/],
      ['wrong nonce', (_t, c) => signIdToken({ ...c, nonce: 'not-the-one-sent' }, idp.key), /"nonce"/],
      ['wrong issuer', (_t, c) => signIdToken({ ...c, iss: 'https://idp.evil.example' }, idp.key), /"iss"/],
      [
        'alg none',
        async (_t, c) =>
          `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(c)).toString('base64url')}.`,
        /"alg"/,
      ],
      [
        'HS256 keyed with the public key',
        (_t, c) =>
          new SignJWT(c)
            .setProtectedHeader({ alg: 'HS256', kid: idp.key.kid })
            .sign(new TextEncoder().encode(JSON.stringify(idp.key.publicJwk))),
        /"alg"/,
      ],
      [
        'a key the provider never published',
        async (_t, c) => signIdToken(c, await newSigningKey(idp.key.kid)),
        /signature verification failed/,
      ],
      [
        'changed claims under the real signature',
        async (token, c) => {
          const [h, , s] = token.split('.');
          const body = Buffer.from(JSON.stringify({ ...c, email: 'boss@glow.in' })).toString('base64url');
          return `${h}.${body}.${s}`;
        },
        /signature verification failed/,
      ],
    ];
    for (const [name, forge, why] of cases) {
      const fragment = await forged(forge);
      assert.equal(fragment.get('sso_error'), 'invalid_token', `${name}: ${fragment.toString()}`);
      assert.match(fragment.get('message') ?? '', why, name);
    }
    // Sanity: the same path with the provider's own token signs in.
    const ok = await forged(async (token) => token);
    assert.ok(ok.get('sso_code'));
    const refused = await audit('auth.sign_in_refused');
    assert.ok(refused.filter((e) => e.details.reason === 'invalid_token').length >= cases.length);
  });

  it('follows a key rotation at the provider: the new key signs in, the retired one is refused', async () => {
    const next = await newSigningKey('k2');
    idp.jwks = { keys: [next.publicJwk] };
    try {
      const rotated = await forged((_t, c) => signIdToken(c, next));
      assert.ok(rotated.get('sso_code'), rotated.toString());
      const retired = await forged((_t, c) => signIdToken(c, idp.key));
      assert.equal(retired.get('sso_error'), 'invalid_token');
      assert.match(retired.get('message') ?? '', /no applicable keys|signature/);
    } finally {
      idp.jwks = undefined;
    }
  });

  it('without just-in-time creation, an unknown person is refused', async () => {
    const put = await t.call('PUT', '/v1/sso-settings', {
      key: ws.live,
      body: settings({ jit_provisioning: false }),
    });
    assert.equal(put.status, 200, put.text);
    try {
      const { fragment } = await signIn(account('newbie@glow.in'));
      assert.equal(fragment.get('sso_error'), 'no_user');
    } finally {
      await t.call('PUT', '/v1/sso-settings', { key: ws.live, body: settings() });
    }
  });

  it('SSO only: passwords refused except the break-glass admin’s', async () => {
    const mk = async (email: string, role: string) =>
      (
        await t.call('POST', '/v1/users', {
          key: ws.live,
          body: { name: email, email, role, password: 'a password 123' },
        })
      ).body.id as string;
    const adminId = await mk('owner@glow.in', 'admin');
    await mk('agent.pw@glow.in', 'agent');
    const noGlass = await t.call('PUT', '/v1/sso-settings', {
      key: ws.live,
      body: settings({ sso_only: true }),
    });
    assert.equal(noGlass.status, 400);
    assert.equal(noGlass.body.error.errors[0].field, 'break_glass_user_id');
    const put = await t.call('PUT', '/v1/sso-settings', {
      key: ws.live,
      body: settings({ sso_only: true, break_glass_user_id: adminId }),
    });
    assert.equal(put.status, 200, put.text);
    try {
      const agent = await t.call('POST', '/v1/auth/login', {
        body: { email: 'agent.pw@glow.in', password: 'a password 123' },
      });
      assert.equal(agent.status, 403, agent.text);
      assert.equal(agent.body.error.code, 'forbidden');
      assert.equal(agent.body.error.sso_only, true);
      // A wrong password is still the plain 401 (nothing learnt without the password).
      const wrong = await t.call('POST', '/v1/auth/login', {
        body: { email: 'agent.pw@glow.in', password: 'nope nope nope' },
      });
      assert.equal(wrong.status, 401);
      const owner = await t.call('POST', '/v1/auth/login', {
        body: { email: 'owner@glow.in', password: 'a password 123' },
      });
      assert.equal(owner.status, 200, owner.text);
      assert.ok((await audit('auth.sign_in_refused')).some((e) => e.details.reason === 'sso_only'));
    } finally {
      await t.call('PUT', '/v1/sso-settings', { key: ws.live, body: settings() });
    }
  });

  it('settings: the secret is write-only, every change audited, bad input refused with nothing changed', async () => {
    const got = await t.call('GET', '/v1/sso-settings', { key: ws.live });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.oidc.client_secret_set, true);
    assert.ok(!got.text.includes(idp.clientSecret));
    assert.equal(got.body.oidc.redirect_uri, CALLBACK);
    // Stored sealed, not in the clear.
    const row = await t.ctx.db
      .selectFrom('sso_settings')
      .select('oidc_client_secret')
      .where('workspace_id', '=', ws.id)
      .executeTakeFirstOrThrow();
    assert.ok(row.oidc_client_secret && !row.oidc_client_secret.includes(idp.clientSecret));
    // Left out: kept.
    const keep = settings();
    delete (keep.oidc as Record<string, unknown>).client_secret;
    const kept = await t.call('PUT', '/v1/sso-settings', {
      key: ws.live,
      body: { ...keep, allowed_email_domains: ['glow.in', 'glow.co'] },
    });
    assert.equal(kept.status, 200, kept.text);
    assert.equal(kept.body.oidc.client_secret_set, true);
    const changes = await audit('sso.settings_changed');
    assert.deepEqual(changes[0].details.changed, ['allowed_email_domains']);
    const bad = [
      { ...settings(), oidc: { issuer_url: 'http://127.0.0.1:1', client_id: 'x' } },
      { ...settings(), allowed_email_domains: ['not a domain'] },
      { ...settings(), default_role: 'ghost' },
      { ...settings(), unknown_field: 1 },
      { ...settings(), allowed_email_domains: [] },
    ];
    for (const body of bad) {
      const r = await t.call('PUT', '/v1/sso-settings', { key: ws.live, body });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.error.code, 'validation_failed');
    }
    assert.deepEqual((await t.call('GET', '/v1/sso-settings', { key: ws.live })).body, kept.body);
    await t.call('PUT', '/v1/sso-settings', { key: ws.live, body: settings() });
  });

  it('an agent cannot read or change the settings', async () => {
    await t.call('POST', '/v1/users', {
      key: ws.live,
      body: { name: 'Ag', email: 'ag.settings@glow.in', role: 'agent', password: 'a password 123' },
    });
    const login = await t.call('POST', '/v1/auth/login', {
      body: { email: 'ag.settings@glow.in', password: 'a password 123' },
    });
    assert.equal((await t.call('GET', '/v1/sso-settings', { key: login.body.token })).status, 403);
    assert.equal(
      (await t.call('PUT', '/v1/sso-settings', { key: login.body.token, body: settings() })).status,
      403,
    );
  });

  it('finds the workspace from a work email or its id; none says so', async () => {
    const byEmail = await t.call('POST', '/v1/auth/sso/lookup', { body: { email: 'someone@glow.in' } });
    assert.equal(byEmail.status, 200, byEmail.text);
    assert.equal(byEmail.body.workspace_id, ws.id);
    assert.equal(byEmail.body.start_url, `/v1/sso/${ws.id}/oidc/start`);
    const byId = await t.call('POST', '/v1/auth/sso/lookup', { body: { workspace_id: ws.id } });
    assert.equal(byId.status, 200, byId.text);
    const none = await t.call('POST', '/v1/auth/sso/lookup', { body: { email: 'x@elsewhere.example' } });
    assert.equal(none.status, 200);
    assert.equal(none.body.enabled, false);
    assert.equal(none.body.start_url, null);
    const both = await t.call('POST', '/v1/auth/sso/lookup', { body: {} });
    assert.equal(both.status, 400);
    const other = await t.workspace();
    const start = await t.call('GET', `/v1/sso/${other.id}/oidc/start`);
    assert.equal(start.status, 404);
    assert.equal(start.body.error.code, 'not_found');
    const malformed = await t.call('GET', '/v1/sso/nope/oidc/start');
    assert.equal(malformed.body.error.code, 'not_found', malformed.text);
  });
});
