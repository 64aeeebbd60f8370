import { ApiForm, useList } from './admin-kit.js';
import { call, html } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

const ROLES = [
  ['agent', 'Agent'],
  ['admin', 'Admin'],
];

const PROTOCOLS = [
  ['oidc', 'OpenID Connect'],
  ['saml', 'SAML 2.0'],
];

/** The identity provider's own fields, by protocol. */
function providerFields(settings, protocol) {
  if (protocol === 'saml')
    return [
      { name: 'enabled', label: 'Sign in with the identity provider (SAML 2.0)', type: 'checkbox' },
      {
        name: 'saml.idp_entity_id',
        label: 'Identity provider entity id (Issuer)',
        placeholder: 'http://www.okta.com/exk1abcd',
        required: true,
      },
      {
        name: 'saml.idp_sso_url',
        label: 'Identity provider single sign-on URL',
        placeholder: 'https://glow.okta.com/app/…/sso/saml',
        required: true,
      },
      {
        name: 'saml.idp_certificate',
        label: 'Identity provider signing certificate (PEM)',
        type: 'textarea',
        required: true,
        help: settings.saml.idp_certificate_expires_at
          ? `The stored certificate expires ${settings.saml.idp_certificate_expires_at.slice(0, 10)}.`
          : 'Paste the X.509 certificate the provider signs with (-----BEGIN CERTIFICATE-----…).',
      },
      {
        name: 'saml.allow_idp_initiated',
        label: 'Accept sign-ins started at the identity provider (its app tile)',
        type: 'checkbox',
      },
    ];
  return [
    { name: 'enabled', label: 'Sign in with the identity provider (OpenID Connect)', type: 'checkbox' },
    {
      name: 'oidc.issuer_url',
      label: 'Issuer URL',
      placeholder: 'https://accounts.google.com',
      required: true,
    },
    { name: 'oidc.client_id', label: 'Client id', required: true },
    {
      name: 'oidc.client_secret',
      label: 'Client secret',
      type: 'password',
      omitEmpty: true,
      help: settings.oidc.client_secret_set
        ? 'A secret is stored (encrypted; never shown). Leave empty to keep it.'
        : 'Stored encrypted; never shown again.',
    },
  ];
}

/** The form's fields, their values the stored settings (the API replaces them all at once). */
function fieldsOf(settings, admins, protocol) {
  const get = (path) => path.split('.').reduce((o, k) => o?.[k], settings);
  const saml = protocol === 'saml';
  const fields = [
    ...providerFields(settings, protocol),
    {
      name: 'allowed_email_domains',
      label: 'Allowed email domains',
      type: 'list',
      placeholder: 'glow.in, glow.co',
      help: 'Only people with an email at these domains may sign in; others are refused and the refusal is in the audit log.',
    },
    {
      name: 'email_claim',
      label: saml ? 'Email attribute' : 'Email claim',
      placeholder: 'email',
      help: saml ? 'The attribute read as the email; without it, the NameID when it is an email.' : undefined,
    },
    {
      name: 'role_claim',
      label: saml ? 'Role attribute' : 'Role claim',
      placeholder: 'groups',
      omitEmpty: true,
      help: `The ${saml ? 'attribute' : 'claim'} whose values pick a role (groups, roles). Empty: roles are set in Parley.`,
    },
    {
      name: 'role_mapping',
      label: 'Role mapping (first match wins, at every sign-in)',
      type: 'rows',
      toRows: (rows) => rows.map((r) => ({ ...r })),
      fromRows: (rows) => rows.map((r) => ({ value: r.value, role: r.role })),
      blank: { value: '', role: 'agent' },
      addLabel: 'Add a mapping',
      columns: [
        { key: 'value', label: 'Claim value', placeholder: () => 'parley-admins' },
        { key: 'role', label: 'Role', type: 'select', options: ROLES },
      ],
    },
    { name: 'jit_provisioning', label: 'Create a user at their first sign-in', type: 'checkbox' },
    { name: 'default_role', label: 'Role of a user created at sign-in', type: 'select', options: ROLES },
    {
      name: 'sso_only',
      label: 'SSO only: passwords no longer sign in, except the break-glass admin’s',
      type: 'checkbox',
    },
    {
      name: 'break_glass_user_id',
      label: 'Break-glass admin',
      type: 'select',
      omitEmpty: true,
      options: [['', 'None'], ...admins.map((u) => [u.id, `${u.name} (${u.email})`])],
      help: 'An admin with a password, the way in when the identity provider is down.',
    },
  ];
  return fields.map((f) => ({
    ...f,
    default: f.name === 'oidc.client_secret' ? '' : (get(f.name) ?? (f.type === 'checkbox' ? false : '')),
  }));
}

/** Manage → Single sign-on: the workspace's identity provider. */
export function SsoAdmin() {
  const [settings, setSettings] = useState(null);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const [protocol, setProtocol] = useState(null);
  const [users] = useList('/v1/users', { query: { role: 'admin', per_page: 100 } });
  useEffect(() => {
    call('get', '/v1/sso-settings').then(setSettings, (err) => setError(err.message));
  }, []);
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!settings || !users.data) return html`<p class="muted">Loading…</p>`;
  const admins = users.data.filter((u) => u.has_password);
  const chosen = protocol ?? settings.protocol;
  const copy = (label, value) =>
    html`<label>${label}<input readOnly value=${value} aria-label=${label} onFocus=${(e) => e.target.select()} /></label>`;
  return html`<section class="stack">
    <label>Protocol<select aria-label="Protocol" value=${chosen} onChange=${(e) => setProtocol(e.target.value)}>
      ${PROTOCOLS.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
    </select></label>
    ${
      chosen === 'saml'
        ? html`<p class="muted">Add Parley at your identity provider as a SAML application with these values, or import its metadata URL (docs/sso.md has Okta, Entra ID, Keycloak and Google Workspace step by step).</p>
          ${copy('SP entity id (Audience)', settings.saml.sp_entity_id)}
          ${copy('ACS URL (Recipient)', settings.saml.acs_url)}
          ${copy('Metadata URL', settings.saml.metadata_url)}`
        : html`<p class="muted">Register Parley at your identity provider as a web application with this redirect URI, and the scopes <code>openid email profile</code> (docs/sso.md has Google, Entra ID, Okta and Keycloak step by step).</p>
          ${copy('Redirect URI', settings.oidc.redirect_uri)}`
    }
    ${saved ? html`<p class="notice" role="status">${saved}</p>` : null}
    <${ApiForm} key=${JSON.stringify(settings) + chosen} fields=${fieldsOf(settings, admins, chosen)} label="Single sign-on settings" submitLabel="Save single sign-on"
      submit=${(body) => call('put', '/v1/sso-settings', { body: { ...body, protocol: chosen } })}
      onDone=${(s) => {
        setSettings(s);
        setProtocol(null);
        setSaved('Saved.');
      }} />
  </section>`;
}
