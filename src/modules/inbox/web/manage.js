import { Keys, Webhooks } from './admin-developers.js';
import { RolesAdmin } from './admin-roles.js';
import { SsoAdmin } from './admin-sso.js';
import { TEAMOPS_PAGES } from './admin-teamops.js';
import { Agents, Campaigns, Knowledge, Templates, Users } from './admin-workspace.js';
import { html, isAdmin, Link } from './lib.js';
import { useEffect } from './vendor/hooks.mjs';

/**
 * Manage: the admin pages' navigation. Each page is written with admin-kit.js (its lists, forms and
 * actions); this file only says which pages there are, in which order, under which title.
 * @type {Array<[string, string, (props: { live: any }) => any]>}
 */
const PAGES = [
  ['keys', 'API keys', Keys],
  ['webhooks', 'Webhooks', Webhooks],
  ['agents', 'AI agents', Agents],
  ['knowledge', 'Knowledge', Knowledge],
  ['templates', 'Templates', Templates],
  ['users', 'Users and teams', Users],
  ['sso', 'Single sign-on', SsoAdmin],
  ['roles', 'Roles', RolesAdmin],
  ['campaigns', 'Campaigns', Campaigns],
  ...TEAMOPS_PAGES,
];

/** Admin pages. The API refuses agents too (403): hiding the pages is a courtesy, not the guard. */
export function Manage({ route, live }) {
  const section = route.path.split('/')[3] || 'keys';
  const page = PAGES.find(([k]) => k === section);
  const title = page?.[1] ?? 'Manage';
  useEffect(() => {
    document.title = `${title} · Parley`;
  }, [title]);
  if (!isAdmin())
    return html`<div class="pad"><h1>Manage</h1><p class="error" role="alert">Only admins manage the workspace. Ask an admin for access.</p><${Link} href="/app">Back to the inbox<//></div>`;
  const Page = page?.[2];
  return html`<div class="manage">
    <nav aria-label="Manage">
      ${PAGES.map(([k, label]) => html`<${Link} href=${`/app/manage/${k}`} aria-current=${k === section ? 'page' : undefined}>${label}<//>`)}
    </nav>
    <div class="manage-body">
      <h1>${title}</h1>
      ${Page ? html`<${Page} live=${live} />` : html`<p class="error" role="alert">No such page.</p>`}
    </div>
  </div>`;
}
