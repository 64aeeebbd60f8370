import type { Profile } from '@node-saml/node-saml';
import { parseStringPromise } from 'xml2js';
import { CLOCK_SKEW_MS } from './saml.config.ts';
import { claimValues, SsoRefusal, type Vouched } from './sso.signin.ts';
import type { SsoSettingsTable } from './sso.tables.ts';

const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** An element as xml2js reads it with namespaces (`xmlns: true`). */
interface NsNode {
  $ns?: { local: string; uri: string };
  $?: Record<string, { local: string; uri: string; value: string }>;
  _?: string;
  [child: string]: unknown;
}

function* elements(node: NsNode): Generator<NsNode> {
  yield node;
  for (const [key, value] of Object.entries(node))
    if (key !== '$' && key !== '$ns' && key !== '_' && Array.isArray(value))
      for (const child of value) if (child && typeof child === 'object') yield* elements(child as NsNode);
}

const attribute = (node: NsNode, local: string) =>
  Object.values(node.$ ?? {}).find((a) => a.local === local && !a.uri)?.value || undefined;

/**
 * What the (not yet verified) response says about where it goes: its InResponseTo and
 * Destination, and the audiences its assertions name. Only used to find the workspace and to
 * refuse early; every one of them is checked again once the signature is (node-saml, checkAssertion).
 * Undefined when it is not a SAML Response.
 */
export async function envelopeOf(samlResponse: string) {
  let parsed: Record<string, NsNode>;
  try {
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    parsed = await parseStringPromise(xml, { xmlns: true, explicitRoot: true, explicitCharkey: true });
  } catch {
    return undefined;
  }
  const root = parsed && Object.values(parsed)[0];
  if (root?.$ns?.local !== 'Response' || root.$ns.uri !== PROTOCOL_NS) return undefined;
  const audiences = [...elements(root)]
    .filter((e) => e.$ns?.local === 'Audience' && e.$ns.uri === ASSERTION_NS)
    .map((e) => (e._ ?? '').trim());
  return {
    inResponseTo: attribute(root, 'InResponseTo'),
    destination: attribute(root, 'Destination'),
    audiences,
  };
}

type XmlJs = { $?: Record<string, string>; _?: string; [child: string]: unknown };
const children = (node: XmlJs | undefined, name: string) => (node?.[name] as XmlJs[] | undefined) ?? [];
const refused = (message: string) =>
  new SsoRefusal('invalid_assertion', `The SAML response was refused: ${message}.`);

/**
 * The checks node-saml leaves to its caller, on the assertion whose signature it verified: the
 * issuer is the configured identity provider, a bearer confirmation names our ACS URL as its
 * Recipient and answers the request this sign-in sent (or none, for one started at the provider),
 * the response's Destination (when given) is our ACS URL. Answers the assertion's id and until
 * when it could be replayed.
 */
export function checkAssertion(
  profile: Profile,
  expected: {
    idpEntityId: string;
    acsUrl: string;
    requestId: string | undefined;
    destination: string | undefined;
  },
): { id: string; expiresAt: string } {
  const assertion = (profile.getAssertion?.() as { Assertion?: XmlJs } | undefined)?.Assertion;
  if (!assertion) throw refused('no signed assertion');
  const issuer = children(assertion, 'Issuer')[0]?._?.trim();
  if (issuer !== expected.idpEntityId)
    throw refused(`its issuer ${issuer ?? '(none)'} is not the configured identity provider`);
  if (expected.destination !== undefined && expected.destination !== expected.acsUrl)
    throw refused(`its Destination ${expected.destination} is not ${expected.acsUrl}`);
  const confirmations = children(children(assertion, 'Subject')[0], 'SubjectConfirmation')
    .filter((c) => c.$?.Method === BEARER)
    .flatMap((c) => children(c, 'SubjectConfirmationData'));
  if (!confirmations.some((d) => d.$?.Recipient === expected.acsUrl))
    throw refused(`no bearer confirmation names ${expected.acsUrl} as its Recipient`);
  for (const d of confirmations) {
    const answered = d.$?.InResponseTo;
    if (answered !== undefined && answered !== expected.requestId)
      throw refused('its subject confirmation answers another request');
  }
  const id = assertion.$?.ID;
  if (!id) throw refused('the assertion has no ID');
  const limits = [
    ...children(assertion, 'Conditions').map((c) => c.$?.NotOnOrAfter),
    ...confirmations.map((d) => d.$?.NotOnOrAfter),
  ]
    .filter((v): v is string => Boolean(v))
    .map((v) => Date.parse(v))
    .filter((v) => Number.isFinite(v));
  if (!limits.length) throw refused('the assertion has no NotOnOrAfter');
  return { id, expiresAt: new Date(Math.max(...limits) + CLOCK_SKEW_MS).toISOString() };
}

/** Names identity providers give a person's display name under. */
const NAME_ATTRIBUTES = [
  'displayName',
  'name',
  'http://schemas.microsoft.com/identity/claims/displayname',
  'urn:oid:2.16.840.1.113730.3.1.241',
];
const GIVEN = ['firstName', 'givenName', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname'];
const SURNAME = [
  'lastName',
  'surname',
  'sn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
];

/**
 * What the assertion vouches for: the email from the configured attribute, else the NameID when it
 * is an email; the role attribute's values; the name from the usual attributes.
 */
export function vouchedOf(profile: Profile, settings: SsoSettingsTable): Vouched {
  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  const first = (names: string[]) => names.map((n) => claimValues(attributes[n])[0]).find((v) => v?.trim());
  const email =
    claimValues(attributes[settings.email_claim])[0] ??
    (profile.nameID?.includes('@') ? profile.nameID : undefined);
  const name = first(NAME_ATTRIBUTES) ?? [first(GIVEN), first(SURNAME)].filter(Boolean).join(' ');
  return {
    email,
    emailVerified: undefined,
    name: name || undefined,
    roleValues: settings.role_claim ? claimValues(attributes[settings.role_claim]) : [],
    subject: profile.nameID,
  };
}
