import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { generate } from 'selfsigned';
import { SignedXml } from 'xml-crypto';

/** A SAML identity provider's signing key and its self-signed certificate, made by the test. */
export interface SamlKey {
  privateKey: string;
  cert: string;
}

export async function newSamlKey(commonName = 'idp.test'): Promise<SamlKey> {
  const made = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 365 * 86400_000),
  });
  return { privateKey: made.private, cert: made.cert };
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (ms: number) => new Date(ms).toISOString();
export const newId = () => `_${randomBytes(16).toString('hex')}`;

export interface AssertionInput {
  issuer: string;
  audience: string;
  recipient: string;
  destination?: string | undefined;
  inResponseTo?: string | undefined;
  email: string;
  attributes?: Record<string, string[]>;
  /** Offsets from now, ms: the assertion's window (default -60 s .. +5 min). */
  notBefore?: number;
  notOnOrAfter?: number;
  assertionId?: string;
}

/** A SAML 2.0 Response with one assertion (unsigned), as an identity provider writes one. */
export function samlResponseXml(a: AssertionInput): string {
  const now = Date.now();
  const notBefore = iso(now + (a.notBefore ?? -60_000));
  const notOnOrAfter = iso(now + (a.notOnOrAfter ?? 300_000));
  const irt = a.inResponseTo ? ` InResponseTo="${esc(a.inResponseTo)}"` : '';
  const dest = a.destination ? ` Destination="${esc(a.destination)}"` : '';
  const attributes = Object.entries(a.attributes ?? {})
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${esc(name)}">${values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`,
    )
    .join('');
  return [
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${newId()}" Version="2.0" IssueInstant="${iso(now)}"${dest}${irt}>`,
    `<saml:Issuer>${esc(a.issuer)}</saml:Issuer>`,
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>',
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${a.assertionId ?? newId()}" Version="2.0" IssueInstant="${iso(now)}">`,
    `<saml:Issuer>${esc(a.issuer)}</saml:Issuer>`,
    '<saml:Subject>',
    `<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${esc(a.email)}</saml:NameID>`,
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">',
    `<saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${esc(a.recipient)}"${irt}/>`,
    '</saml:SubjectConfirmation>',
    '</saml:Subject>',
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}">`,
    `<saml:AudienceRestriction><saml:Audience>${esc(a.audience)}</saml:Audience></saml:AudienceRestriction>`,
    '</saml:Conditions>',
    `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${newId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
    attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '',
    '</saml:Assertion>',
    '</samlp:Response>',
  ].join('');
}

const ASSERTION = "//*[local-name(.)='Assertion']";
const RESPONSE = "/*[local-name(.)='Response']";

/** An enveloped RSA-SHA256 signature of the element `xpath` selects, placed after its Issuer. */
function signElement(xml: string, key: SamlKey, xpath: string): string {
  const sig = new SignedXml({
    privateKey: key.privateKey,
    publicCert: key.cert,
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  });
  sig.addReference({
    xpath,
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `${xpath}/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

/** Signs the assertion, the response, or both (the assertion first), as identity providers do. */
export function signSaml(xml: string, key: SamlKey, what: 'assertion' | 'response' | 'both'): string {
  let out = xml;
  if (what !== 'response') out = signElement(out, key, ASSERTION);
  if (what !== 'assertion') out = signElement(out, key, RESPONSE);
  return out;
}

/** The AuthnRequest a redirect carries (HTTP-Redirect binding: deflated, base64). */
export function authnRequestOf(location: string) {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString(
    'utf8',
  );
  const attr = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(xml)?.[1];
  return {
    url,
    xml,
    id: attr('ID')!,
    acsUrl: attr('AssertionConsumerServiceURL'),
    destination: attr('Destination'),
    relayState: url.searchParams.get('RelayState'),
  };
}

/** The `application/x-www-form-urlencoded` body an HTTP-POST binding's auto-submitted form sends. */
export const acsForm = (xml: string, relayState?: string | null) =>
  new URLSearchParams({
    SAMLResponse: Buffer.from(xml).toString('base64'),
    ...(relayState ? { RelayState: relayState } : {}),
  }).toString();
