import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import Provider from 'oidc-provider';

export interface Account {
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

export interface SigningKey {
  kid: string;
  privateKey: Parameters<SignJWT['sign']>[0];
  publicJwk: JWK;
}

export async function newSigningKey(kid: string): Promise<SigningKey & { privateJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicJwk, privateJwk };
}

/** Signs `claims` as the provider would, with `key` (a test forging an id_token). */
export const signIdToken = (claims: JWTPayload, key: SigningKey) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' }).sign(key.privateKey);

/**
 * A real OpenID provider (oidc-provider, the certified implementation) on 127.0.0.1, for the
 * tests: one client, accounts the test adds, an interaction that signs in whoever `signInAs`
 * names, and two hooks to misbehave: `forge` rewrites the id_token the token endpoint answers,
 * `jwks` replaces the key set it publishes (a rotation).
 */
export class TestIdp {
  readonly accounts = new Map<string, Account>();
  signInAs = '';
  forge: ((idToken: string, claims: JWTPayload) => Promise<string>) | undefined;
  jwks: { keys: JWK[] } | undefined;
  issuer = '';
  readonly clientId = 'parley-inbox';
  readonly clientSecret = 'idp-client-secret-0123456789';
  key!: SigningKey;
  #server: Server | undefined;

  async start(redirectUri: string) {
    const key = await newSigningKey('k1');
    this.key = key;
    this.#server = createServer();
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.issuer = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    const accounts = this.accounts;
    const provider = new Provider(this.issuer, {
      clients: [
        {
          client_id: this.clientId,
          client_secret: this.clientSecret,
          redirect_uris: [redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      jwks: { keys: [key.privateJwk] },
      scopes: ['openid', 'email', 'profile', 'groups'],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
      conformIdTokenClaims: false,
      findAccount: (_ctx: unknown, sub: string) =>
        accounts.has(sub) ? { accountId: sub, claims: () => ({ sub, ...accounts.get(sub) }) } : undefined,
      features: { devInteractions: { enabled: false } },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      loadExistingGrant: async (ctx: any) => {
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client.clientId,
          accountId: ctx.oidc.session.accountId,
        });
        grant.addOIDCScope('openid email profile groups');
        await grant.save();
        return grant;
      },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        Grant: 600,
        IdToken: 600,
        Interaction: 600,
        Session: 600,
      },
      cookies: { keys: ['test-cookie-key-0123456789'] },
      pkce: { required: () => true },
    });
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.path === '/token' && this.forge && ctx.body?.id_token)
        ctx.body = {
          ...ctx.body,
          id_token: await this.forge(ctx.body.id_token, decodeJwt(ctx.body.id_token)),
        };
      if (ctx.path === '/jwks' && this.jwks) ctx.body = this.jwks;
    });
    const handle = provider.callback();
    this.#server.on('request', (req, res) => {
      if (req.url?.startsWith('/interaction/')) {
        void provider.interactionFinished(
          req,
          res,
          { login: { accountId: this.signInAs } },
          {
            mergeWithLastSubmission: false,
          },
        );
        return;
      }
      handle(req, res);
    });
    return this;
  }

  /**
   * A browser's way through the provider: from the authorization URL, following redirects with
   * the provider's cookies, until it sends the browser back to `until` (the answer: that URL).
   */
  async browse(url: string, until: string): Promise<URL> {
    const cookies = new Map<string, string>();
    let next = new URL(url);
    for (let hop = 0; hop < 10; hop++) {
      if (next.href.startsWith(until)) return next;
      const res = await fetch(next, {
        redirect: 'manual',
        headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair!.indexOf('=');
        cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
      }
      const location = res.headers.get('location');
      if (!location)
        throw new Error(`the provider stopped at ${next.href}: ${res.status} ${await res.text()}`);
      next = new URL(location, next);
    }
    throw new Error('too many redirects');
  }

  async close() {
    this.#server?.closeAllConnections();
    await new Promise((r) => this.#server?.close(r));
  }
}
