import { AgentSettings } from './admin-agent.js';
import { TEAMOPS_PAGES } from './admin-teamops.js';
import { api, copy, fullTime, html, isAdmin, Link } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

const SECTIONS = [
  ['keys', 'API keys'],
  ['webhooks', 'Webhooks'],
  ['agents', 'AI agents'],
  ['knowledge', 'Knowledge'],
  ['templates', 'Templates'],
  ['users', 'Users and teams'],
  ['campaigns', 'Campaigns'],
  ...TEAMOPS_PAGES.map(([k, label]) => [k, label]),
];

/** Admin pages. The API refuses agents too (403): hiding the pages is a courtesy, not the guard. */
export function Manage({ route, live }) {
  const section = route.path.split('/')[3] || 'keys';
  const title = SECTIONS.find(([k]) => k === section)?.[1] ?? 'Manage';
  useEffect(() => {
    document.title = `${title} · Parley`;
  }, [title]);
  if (!isAdmin())
    return html`<div class="pad"><h1>Manage</h1><p class="error" role="alert">Only admins manage the workspace. Ask an admin for access.</p><${Link} href="/app">Back to the inbox<//></div>`;
  const Page = pages[section];
  return html`<div class="manage">
    <nav aria-label="Manage">
      ${SECTIONS.map(([k, label]) => html`<${Link} href=${`/app/manage/${k}`} aria-current=${k === section ? 'page' : undefined}>${label}<//>`)}
    </nav>
    <div class="manage-body">
      <h1>${title}</h1>
      ${Page ? html`<${Page} live=${live} />` : html`<p class="error" role="alert">No such page.</p>`}
    </div>
  </div>`;
}

/**
 * Loads a list, with a reload function and the API's error when it fails.
 * @param {string | null} path
 * @returns {[import('./lib.js').ListState, () => void | Promise<void>]}
 */
function useList(path) {
  const [state, setState] = useState(/** @type {import('./lib.js').ListState} */ ({ data: null, error: '' }));
  const reload = () =>
    path
      ? api('GET', path).then(
          (r) => setState({ data: r.data, error: '' }),
          (err) => setState({ data: [], error: err.message, status: err.status }),
        )
      : setState({ data: [], error: '' });
  useEffect(() => {
    setState({ data: null, error: '' });
    reload();
  }, [path]);
  return [state, reload];
}

/** A form's submit with busy and error state; the fields stay as typed when the API refuses. */
function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = async (fn) => {
    setBusy(true);
    setError('');
    try {
      return await fn();
    } catch (err) {
      const fields = err.fieldErrors?.length
        ? ` (${err.fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; ')})`
        : '';
      setError(err.message + fields);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}

const Err = ({ error }) => (error ? html`<p class="error" role="alert">${error}</p>` : null);

function formData(e) {
  return Object.fromEntries(new FormData(e.currentTarget).entries());
}

/** A secret shown once, with a copy button and a plain warning. */
function SecretOnce({ label, value, onDone }) {
  const [copied, setCopied] = useState(false);
  return html`<div class="notice stack" role="status">
    <strong>${label}: shown only now. Store it somewhere safe.</strong>
    <code class="secret" data-testid="secret">${value}</code>
    <div class="row">
      <button type="button" onClick=${async () => setCopied(await copy(value))}>${copied ? 'Copied' : 'Copy'}</button>
      <button type="button" onClick=${onDone}>Done</button>
    </div>
  </div>`;
}

function Keys() {
  const [list, reload] = useList('/v1/api-keys?per_page=100');
  const [created, setCreated] = useState(null);
  const form = useSubmit();
  const create = (e) => {
    e.preventDefault();
    const { name, scopes } = formData(e);
    const target = e.currentTarget;
    form.run(async () => {
      const body = { name };
      const s = String(scopes)
        .split(/[\s,]+/)
        .filter(Boolean);
      if (s.length) body.scopes = s;
      setCreated(await api('POST', '/v1/api-keys', body));
      target.reset();
      reload();
    });
  };
  const revoke = (k) =>
    confirm(`Revoke ${k.name ?? k.prefix}? Programs using it stop working at once.`) &&
    form.run(async () => {
      await api('DELETE', `/v1/api-keys/${k.id}`);
      reload();
    });
  return html`<section>
    ${created ? html`<${SecretOnce} label=${`Key ${created.name ?? created.prefix}`} value=${created.key} onDone=${() => setCreated(null)} />` : null}
    <form class="inline" onSubmit=${create} aria-label="Create an API key">
      <label>Name<input name="name" required placeholder="CRM integration" /></label>
      <label>Scopes (optional)<input name="scopes" placeholder="* or messages:write conversations:read" /></label>
      <button class="primary" type="submit" disabled=${form.busy}>Create key</button>
    </form>
    <${Err} error=${form.error || list.error} />
    <p class="muted small">Keys of this mode only: a session in test mode manages test keys.</p>
    <table><thead><tr><th>Name</th><th>Prefix</th><th>Scopes</th><th>Last used</th><th>Status</th><th></th></tr></thead><tbody>
      ${(list.data ?? []).map(
        (k) => html`<tr>
          <td>${k.name ?? '—'}</td><td><code>${k.prefix}…</code></td><td>${k.scopes.join(' ')}</td>
          <td>${fullTime(k.last_used_at) || 'never'}</td><td>${k.revoked_at ? `revoked ${fullTime(k.revoked_at)}` : 'active'}</td>
          <td>${k.revoked_at ? null : html`<button type="button" class="danger" onClick=${() => revoke(k)} aria-label=${`Revoke ${k.name ?? k.prefix}`}>Revoke</button>`}</td>
        </tr>`,
      )}
    </tbody></table>
  </section>`;
}

function Webhooks() {
  const [list, reload] = useList('/v1/webhooks?per_page=100');
  const [secret, setSecret] = useState(null);
  const [open, setOpen] = useState(null);
  const form = useSubmit();
  const create = (e) => {
    e.preventDefault();
    const { url, events, description } = formData(e);
    const target = e.currentTarget;
    form.run(async () => {
      const ev = String(events)
        .split(/[\s,]+/)
        .filter(Boolean);
      const wh = await api('POST', '/v1/webhooks', {
        url,
        events: ev.length ? ev : ['*'],
        ...(description ? { description } : {}),
      });
      setSecret({ label: `Signing secret of ${wh.url}`, value: wh.secret });
      target.reset();
      reload();
    });
  };
  const act = (fn) =>
    form.run(async () => {
      await fn();
      reload();
    });
  return html`<section>
    ${secret ? html`<${SecretOnce} label=${secret.label} value=${secret.value} onDone=${() => setSecret(null)} />` : null}
    <form class="inline" onSubmit=${create} aria-label="Create a webhook">
      <label>URL<input name="url" type="url" required placeholder="https://example.com/parley/webhooks" size="36" /></label>
      <label>Events (default all)<input name="events" placeholder="message.received conversation.escalated" size="30" /></label>
      <label>Description<input name="description" placeholder="CRM sync" /></label>
      <button class="primary" type="submit" disabled=${form.busy}>Create webhook</button>
    </form>
    <${Err} error=${form.error || list.error} />
    <table><thead><tr><th>URL</th><th>Events</th><th>Status</th><th></th></tr></thead><tbody>
      ${(list.data ?? []).map(
        (w) => html`<tr>
          <td>${w.url}${w.description ? html`<br /><span class="muted small">${w.description}</span>` : null}</td>
          <td>${w.events.join(' ')}</td><td>${w.status}</td>
          <td class="row">
            <button type="button" aria-expanded=${open === w.id} onClick=${() => setOpen(open === w.id ? null : w.id)}>Deliveries</button>
            <button type="button" onClick=${() => act(() => api('POST', `/v1/webhooks/${w.id}/test`))}>Send test</button>
            <button type="button" onClick=${() =>
              form.run(async () => {
                const r = await api('POST', `/v1/webhooks/${w.id}/rotate-secret`);
                setSecret({ label: `New signing secret of ${w.url}`, value: r.secret });
              })}>Rotate secret</button>
            <button type="button" onClick=${() => act(() => api('PATCH', `/v1/webhooks/${w.id}`, { status: w.status === 'enabled' ? 'disabled' : 'enabled' }))}>${w.status === 'enabled' ? 'Disable' : 'Enable'}</button>
            <button type="button" class="danger" onClick=${() => confirm(`Delete the webhook to ${w.url}?`) && act(() => api('DELETE', `/v1/webhooks/${w.id}`))}>Delete</button>
          </td>
        </tr>
        ${open === w.id ? html`<tr><td colspan="4"><${Deliveries} id=${w.id} /></td></tr>` : null}`,
      )}
    </tbody></table>
  </section>`;
}

function Deliveries({ id }) {
  const [list, reload] = useList(`/v1/webhooks/${id}/deliveries?per_page=50`);
  const form = useSubmit();
  return html`<div>
    <div class="row"><strong>Delivery log</strong><button type="button" onClick=${reload}>Refresh</button></div>
    <${Err} error=${form.error || list.error} />
    ${list.data?.length === 0 ? html`<p class="muted">No deliveries yet.</p>` : null}
    <table><thead><tr><th>Event</th><th>State</th><th>Attempts</th><th></th></tr></thead><tbody>
      ${(list.data ?? []).map(
        (d) => html`<tr>
          <td>${d.event_type}<br /><code class="small">${d.event_id}</code></td><td>${d.state}</td>
          <td>${(d.attempts ?? []).map((a) => html`<div class="small">${fullTime(a.at)} · ${a.status_code ?? '—'} · ${a.duration_ms ?? '—'} ms${a.error ? ` · ${a.error}` : ''}</div>`)}</td>
          <td><button type="button" onClick=${() =>
            form.run(async () => {
              await api('POST', `/v1/webhooks/${id}/deliveries/${d.id}/redeliver`);
              reload();
            })}>Redeliver</button></td>
        </tr>`,
      )}
    </tbody></table>
  </div>`;
}

function Agents() {
  const [list, reload] = useList('/v1/agents?per_page=100');
  const [edit, setEdit] = useState(null);
  const form = useSubmit();
  const create = (e) => {
    e.preventDefault();
    const { name, instructions, greeting, phone_number } = formData(e);
    const target = e.currentTarget;
    form.run(async () => {
      await api('POST', '/v1/agents', {
        name,
        ...(instructions ? { instructions } : {}),
        ...(greeting ? { greeting } : {}),
        ...(phone_number ? { phone_number } : {}),
      });
      target.reset();
      reload();
    });
  };
  const agent = list.data?.find((a) => a.id === edit);
  return html`<section>
    <form class="inline" onSubmit=${create} aria-label="Create an AI agent">
      <label>Name<input name="name" required placeholder="Glow Salon receptionist" /></label>
      <label>Phone number<input name="phone_number" placeholder="+919876543210" /></label>
      <label>Greeting<input name="greeting" placeholder="Hi! How can I help?" /></label>
      <label>Instructions<input name="instructions" size="40" placeholder="You are the receptionist of Glow Salon…" /></label>
      <button class="primary" type="submit" disabled=${form.busy}>Create agent</button>
    </form>
    <${Err} error=${form.error || list.error} />
    <table><thead><tr><th>Name</th><th>Number</th><th>Model</th><th>Status</th><th></th></tr></thead><tbody>
      ${(list.data ?? []).map(
        (a) => html`<tr>
          <td>${a.name}</td><td>${a.phone_number ?? '—'}</td><td>${a.model.provider} · ${a.model.name}</td><td>${a.status}</td>
          <td class="row"><button type="button" onClick=${() => setEdit(edit === a.id ? null : a.id)} aria-expanded=${edit === a.id}>Settings</button>
            <button type="button" onClick=${() =>
              form.run(async () => {
                await api('PATCH', `/v1/agents/${a.id}`, {
                  status: a.status === 'active' ? 'paused' : 'active',
                });
                reload();
              })}>${a.status === 'active' ? 'Pause' : 'Resume'}</button></td>
        </tr>`,
      )}
    </tbody></table>
    ${agent ? html`<${AgentSettings} key=${agent.id} agent=${agent} onSaved=${reload} />` : null}
  </section>`;
}

function Knowledge() {
  const [agents] = useList('/v1/agents?per_page=100');
  const [agentId, setAgentId] = useState('');
  const current = agentId || agents.data?.[0]?.id || '';
  const [docs, reload] = useList(current ? `/v1/agents/${current}/knowledge?per_page=100` : null);
  const [hits, setHits] = useState(null);
  const form = useSubmit();
  const addText = (e) => {
    e.preventDefault();
    const { title, content, doc_type } = formData(e);
    const target = e.currentTarget;
    form.run(async () => {
      await api('POST', `/v1/agents/${current}/knowledge`, { title, content, doc_type });
      target.reset();
      reload();
    });
  };
  const upload = (e) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const target = e.currentTarget;
    form.run(async () => {
      const body = new FormData();
      if (data.get('title')) body.append('title', data.get('title'));
      body.append('file', data.get('file'));
      await api('POST', `/v1/agents/${current}/knowledge/upload`, body);
      target.reset();
      reload();
    });
  };
  const search = (e) => {
    e.preventDefault();
    const { query } = formData(e);
    form.run(async () =>
      setHits((await api('POST', `/v1/agents/${current}/knowledge/search`, { query, top_k: 5 })).data),
    );
  };
  if (agents.data?.length === 0)
    return html`<p class="muted">Create an AI agent first: knowledge belongs to an agent.</p>`;
  return html`<section class="stack">
    <label>Agent<select value=${current} onChange=${(e) => setAgentId(e.currentTarget.value)}>
      ${(agents.data ?? []).map((a) => html`<option value=${a.id}>${a.name}</option>`)}
    </select></label>
    <form class="inline" onSubmit=${addText} aria-label="Add a knowledge document">
      <label>Title<input name="title" required placeholder="Opening hours" /></label>
      <label>Kind<select name="doc_type"><option value="text">Text</option><option value="faq">FAQ</option><option value="markdown">Markdown</option></select></label>
      <label>Content<textarea name="content" rows="3" cols="50" required></textarea></label>
      <button class="primary" type="submit" disabled=${form.busy || !current}>Add</button>
    </form>
    <form class="inline" onSubmit=${upload} aria-label="Upload a knowledge file">
      <label>Title (optional)<input name="title" /></label>
      <label>File (PDF, text, markdown, HTML)<input name="file" type="file" required accept=".pdf,.txt,.md,.html,.htm,text/*,application/pdf" /></label>
      <button type="submit" disabled=${form.busy || !current}>Upload</button>
    </form>
    <form class="inline" onSubmit=${search} aria-label="Test a search">
      <label>Test a question<input name="query" required size="40" placeholder="are you open on sunday?" /></label>
      <button type="submit" disabled=${form.busy || !current}>Search</button>
    </form>
    <${Err} error=${form.error || docs.error} />
    ${
      hits
        ? html`<ol aria-label="Search results">${hits.map((h) => html`<li><strong>${h.title}</strong> · ${h.score.toFixed(2)}<br /><span class="small">${h.text ?? h.content ?? ''}</span></li>`)}${hits.length ? null : html`<li class="muted">Nothing matches.</li>`}</ol>`
        : null
    }
    <table><thead><tr><th>Title</th><th>Kind</th><th>Status</th><th>Updated</th><th></th></tr></thead><tbody>
      ${(docs.data ?? []).map(
        (
          d,
        ) => html`<tr><td>${d.title}</td><td>${d.doc_type}</td><td>${d.status ?? ''}${d.error ? html`<br /><span class="error small">${d.error.message ?? d.error}</span>` : null}</td><td>${fullTime(d.updated_at)}</td>
          <td><button type="button" class="danger" onClick=${() =>
            confirm(`Delete ${d.title}?`) &&
            form.run(async () => {
              await api('DELETE', `/v1/agents/${current}/knowledge/${d.id}`);
              reload();
            })}>Delete</button></td></tr>`,
      )}
    </tbody></table>
  </section>`;
}

function Templates() {
  const [list, reload] = useList('/v1/templates?per_page=100');
  const form = useSubmit();
  const create = (e) => {
    e.preventDefault();
    const { name, language, category, body } = formData(e);
    const target = e.currentTarget;
    form.run(async () => {
      await api('POST', '/v1/templates', { name, language, category, body });
      target.reset();
      reload();
    });
  };
  return html`<section>
    <form class="inline" onSubmit=${create} aria-label="Create a template">
      <label>Name<input name="name" required pattern="[a-z0-9_]+" placeholder="appointment_reminder" title="lowercase letters, digits and underscores" /></label>
      <label>Language<input name="language" required value="en" size="6" /></label>
      <label>Category<select name="category"><option value="utility">Utility</option><option value="marketing">Marketing</option><option value="authentication">Authentication</option></select></label>
      <label>Body<textarea name="body" rows="2" cols="40" required placeholder="Hi {{1}}, your appointment is on {{2}}."></textarea></label>
      <button class="primary" type="submit" disabled=${form.busy}>Create template</button>
    </form>
    <${Err} error=${form.error || list.error} />
    <table><thead><tr><th>Name</th><th>Language</th><th>Category</th><th>Status</th><th>Body</th><th></th></tr></thead><tbody>
      ${(list.data ?? []).map(
        (
          t,
        ) => html`<tr><td>${t.name}</td><td>${t.language}</td><td>${t.category}</td><td>${t.status}</td><td>${t.body}</td>
          <td><button type="button" class="danger" onClick=${() =>
            confirm(`Delete ${t.name}?`) &&
            form.run(async () => {
              await api('DELETE', `/v1/templates/${t.id}`);
              reload();
            })}>Delete</button></td></tr>`,
      )}
    </tbody></table>
  </section>`;
}

function Users() {
  const [users, reloadUsers] = useList('/v1/users?per_page=100');
  const [teams, reloadTeams] = useList('/v1/teams?per_page=100');
  const form = useSubmit();
  const createUser = (e) => {
    e.preventDefault();
    const { name, email, role, password } = formData(e);
    const target = e.currentTarget;
    form.run(async () => {
      await api('POST', '/v1/users', { name, email, role, ...(password ? { password } : {}) });
      target.reset();
      reloadUsers();
    });
  };
  const createTeam = (e) => {
    e.preventDefault();
    const { name } = formData(e);
    const target = e.currentTarget;
    form.run(async () => {
      await api('POST', '/v1/teams', { name });
      target.reset();
      reloadTeams();
    });
  };
  const names = new Map((users.data ?? []).map((u) => [u.id, u.name]));
  return html`<section class="stack">
    <form class="inline" onSubmit=${createUser} aria-label="Add a user">
      <label>Name<input name="name" required /></label>
      <label>Email<input name="email" type="email" required /></label>
      <label>Role<select name="role"><option value="agent">Agent</option><option value="admin">Admin</option></select></label>
      <label>Password<input name="password" type="password" autocomplete="new-password" minlength="8" /></label>
      <button class="primary" type="submit" disabled=${form.busy}>Add user</button>
    </form>
    <${Err} error=${form.error || users.error || teams.error} />
    <table><thead><tr><th>Name</th><th>Email</th><th>Role</th><th>Can sign in</th><th></th></tr></thead><tbody>
      ${(users.data ?? []).map(
        (u) => html`<tr><td>${u.name}</td><td>${u.email}</td><td>
          <select aria-label=${`Role of ${u.name}`} value=${u.role} onChange=${(e) => {
            const role = e.currentTarget.value;
            form.run(async () => {
              await api('PATCH', `/v1/users/${u.id}`, { role });
              reloadUsers();
            });
          }}><option value="agent">agent</option><option value="admin">admin</option></select></td>
          <td>${u.has_password ? 'yes' : 'no'}</td>
          <td><button type="button" class="danger" onClick=${() =>
            confirm(`Remove ${u.name}? Their sessions end at once.`) &&
            form.run(async () => {
              await api('DELETE', `/v1/users/${u.id}`);
              reloadUsers();
            })}>Remove</button></td></tr>`,
      )}
    </tbody></table>
    <h2>Teams</h2>
    <form class="inline" onSubmit=${createTeam} aria-label="Create a team">
      <label>Team name<input name="name" required placeholder="Front desk" /></label>
      <button type="submit" disabled=${form.busy}>Create team</button>
    </form>
    <table><thead><tr><th>Team</th><th>Members</th><th>Add a member</th></tr></thead><tbody>
      ${(teams.data ?? []).map(
        (t) => html`<tr><td>${t.name}</td>
          <td>${(t.member_ids ?? t.members ?? []).map((m) => {
            const id = typeof m === 'string' ? m : m.id;
            return html`<span class="tag">${names.get(id) ?? id} <button type="button" class="ghost" aria-label=${`Remove ${names.get(id) ?? id} from ${t.name}`} onClick=${() =>
              form.run(async () => {
                await api('DELETE', `/v1/teams/${t.id}/members/${id}`);
                reloadTeams();
              })}>×</button></span> `;
          })}</td>
          <td><select aria-label=${`Add a member to ${t.name}`} value="" onChange=${(e) => {
            const id = e.currentTarget.value;
            if (id)
              form.run(async () => {
                await api('POST', `/v1/teams/${t.id}/members`, { user_ids: [id] });
                reloadTeams();
              });
          }}><option value="">Choose…</option>${(users.data ?? []).map((u) => html`<option value=${u.id}>${u.name}</option>`)}</select></td></tr>`,
      )}
    </tbody></table>
  </section>`;
}

/**
 * The campaign's counts to show, in the API's order: every whole-number count (so a new one shows
 * without a change here), the zeros left out but for the total.
 */
function shownStats(stats) {
  return Object.entries(stats ?? {}).filter(([k, v]) => Number.isInteger(v) && (v > 0 || k === 'total'));
}

function Campaigns({ live }) {
  const [list, reload] = useList('/v1/campaigns?per_page=50');
  const form = useSubmit();
  // Stats change with every call: refresh on campaign and call events (at most once a second).
  useEffect(() => {
    let timer = null;
    const off = live.on((e) => {
      if (!/^(campaign|call)\./.test(e.event) || timer) return;
      timer = setTimeout(() => {
        timer = null;
        reload();
      }, 1000);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, []);
  if (list.status === 404) return html`<p class="muted">Campaigns are not available on this server yet.</p>`;
  const act = (c, action) =>
    form.run(async () => {
      await api('POST', `/v1/campaigns/${c.id}/${action}`);
      reload();
    });
  return html`<section class="stack">
    <${Err} error=${form.error || list.error} />
    ${list.data?.length === 0 ? html`<p class="muted">No campaign yet. Create one with the API (POST /v1/campaigns) or the CLI.</p>` : null}
    ${(list.data ?? []).map(
      (c) => html`<article class="card pad" aria-label=${`Campaign ${c.name}`}>
        <div class="row"><strong>${c.name}</strong><span class="badge">${c.type}</span><span class="badge">${c.status}</span><span class="spacer"></span>
          ${['draft', 'scheduled'].includes(c.status) ? html`<button type="button" onClick=${() => act(c, 'start')}>Start</button>` : null}
          ${c.status === 'running' ? html`<button type="button" onClick=${() => act(c, 'pause')}>Pause</button>` : null}
          ${c.status === 'paused' ? html`<button type="button" onClick=${() => act(c, 'resume')}>Resume</button>` : null}
          ${!['completed', 'canceled'].includes(c.status) ? html`<button type="button" class="danger" onClick=${() => confirm(`Cancel ${c.name}?`) && act(c, 'cancel')}>Cancel</button>` : null}
        </div>
        <div>${shownStats(c.stats).map(([k, v]) => html`<span class="stat"><strong>${v}</strong><span class="small muted">${k.replaceAll('_', ' ')}</span></span>`)}</div>
      </article>`,
    )}
  </section>`;
}

const pages = {
  keys: Keys,
  webhooks: Webhooks,
  agents: Agents,
  knowledge: Knowledge,
  templates: Templates,
  users: Users,
  campaigns: Campaigns,
  ...Object.fromEntries(TEAMOPS_PAGES.map(([k, , page]) => [k, page])),
};
