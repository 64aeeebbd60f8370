import { AgentSettings } from './admin-agent.js';
import { ErrorLine, formValues, useAction, useList } from './admin-kit.js';
import { call, fullTime, html, session } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/** Manage's pages for the workspace: AI agents, their knowledge, templates, users and teams, campaigns. */

export function Agents() {
  const [list, reload] = useList('/v1/agents', { query: { per_page: 100 } });
  const [edit, setEdit] = useState(null);
  const form = useAction();
  const create = (e) => {
    e.preventDefault();
    const { name, instructions, greeting, phone_number } = formValues(e);
    const target = e.currentTarget;
    form.run(async () => {
      await call('post', '/v1/agents', {
        body: {
          name,
          ...(instructions ? { instructions } : {}),
          ...(greeting ? { greeting } : {}),
          ...(phone_number ? { phone_number } : {}),
        },
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
    <${ErrorLine} error=${form.error || list.error} />
    <table><thead><tr><th>Name</th><th>Number</th><th>Model</th><th>Status</th><th></th></tr></thead><tbody>
      ${(list.data ?? []).map(
        (a) => html`<tr>
          <td>${a.name}</td><td>${a.phone_number ?? '—'}</td><td>${a.model.provider} · ${a.model.name}</td><td>${a.status}</td>
          <td class="row"><button type="button" onClick=${() => setEdit(edit === a.id ? null : a.id)} aria-expanded=${edit === a.id}>Settings</button>
            <button type="button" onClick=${() =>
              form.run(async () => {
                await call('patch', '/v1/agents/{id}', {
                  params: { id: a.id },
                  body: { status: a.status === 'active' ? 'paused' : 'active' },
                });
                reload();
              })}>${a.status === 'active' ? 'Pause' : 'Resume'}</button></td>
        </tr>`,
      )}
    </tbody></table>
    ${agent ? html`<${AgentSettings} key=${agent.id} agent=${agent} onSaved=${reload} />` : null}
  </section>`;
}

export function Knowledge() {
  const [agents] = useList('/v1/agents', { query: { per_page: 100 } });
  const [agentId, setAgentId] = useState('');
  const current = agentId || agents.data?.[0]?.id || '';
  const [docs, reload] = useList(current ? '/v1/agents/{id}/knowledge' : null, {
    params: { id: current },
    query: { per_page: 100 },
  });
  const [hits, setHits] = useState(null);
  const form = useAction();
  const addText = (e) => {
    e.preventDefault();
    const { title, content, doc_type } = formValues(e);
    const target = e.currentTarget;
    form.run(async () => {
      await call('post', '/v1/agents/{id}/knowledge', {
        params: { id: current },
        body: { title, content, doc_type },
      });
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
      await call('post', '/v1/agents/{id}/knowledge/upload', {
        params: { id: current },
        body: /** @type {any} */ (body),
      });
      target.reset();
      reload();
    });
  };
  const search = (e) => {
    e.preventDefault();
    const { query } = formValues(e);
    form.run(async () =>
      setHits(
        (
          await call('post', '/v1/agents/{id}/knowledge/search', {
            params: { id: current },
            body: { query, top_k: 5 },
          })
        ).data,
      ),
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
    <${ErrorLine} error=${form.error || docs.error} />
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
              await call('delete', '/v1/agents/{id}/knowledge/{doc_id}', {
                params: { id: current, doc_id: d.id },
              });
              reload();
            })}>Delete</button></td></tr>`,
      )}
    </tbody></table>
  </section>`;
}

export function Templates() {
  const [list, reload] = useList('/v1/templates', { query: { per_page: 100 } });
  const form = useAction();
  const create = (e) => {
    e.preventDefault();
    const { name, language, category, body } = formValues(e);
    const target = e.currentTarget;
    form.run(async () => {
      await call('post', '/v1/templates', { body: { name, language, category, body } });
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
    <${ErrorLine} error=${form.error || list.error} />
    <table><thead><tr><th>Name</th><th>Language</th><th>Category</th><th>Status</th><th>Body</th><th></th></tr></thead><tbody>
      ${(list.data ?? []).map(
        (
          t,
        ) => html`<tr><td>${t.name}</td><td>${t.language}</td><td>${t.category}</td><td>${t.status}</td><td>${t.body}</td>
          <td><button type="button" class="danger" onClick=${() =>
            confirm(`Delete ${t.name}?`) &&
            form.run(async () => {
              await call('delete', '/v1/templates/{id}', { params: { id: t.id } });
              reload();
            })}>Delete</button></td></tr>`,
      )}
    </tbody></table>
  </section>`;
}

export function Users() {
  const [users, reloadUsers] = useList('/v1/users', { query: { per_page: 100 } });
  const [teams, reloadTeams] = useList('/v1/teams', { query: { per_page: 100 } });
  const [roles] = useList('/v1/roles', { query: { per_page: 100 } });
  const roleOptions = (
    roles.data ?? [
      { id: 'agent', name: 'agent' },
      { id: 'admin', name: 'admin' },
    ]
  ).map((r) => html`<option value=${r.id}>${r.name}</option>`);
  const form = useAction();
  const [reset, setReset] = useState('');
  const createUser = (e) => {
    e.preventDefault();
    const { name, email, role, password } = formValues(e);
    const target = e.currentTarget;
    form.run(async () => {
      await call('post', '/v1/users', { body: { name, email, role, ...(password ? { password } : {}) } });
      target.reset();
      reloadUsers();
    });
  };
  const createTeam = (e) => {
    e.preventDefault();
    const { name } = formValues(e);
    const target = e.currentTarget;
    form.run(async () => {
      await call('post', '/v1/teams', { body: { name } });
      target.reset();
      reloadTeams();
    });
  };
  const names = new Map((users.data ?? []).map((u) => [u.id, u.name]));
  return html`<section class="stack">
    <form class="inline" onSubmit=${createUser} aria-label="Add a user">
      <label>Name<input name="name" required /></label>
      <label>Email<input name="email" type="email" required /></label>
      <label>Role<select name="role" value="agent">${roleOptions}</select></label>
      <label>Password<input name="password" type="password" autocomplete="new-password" minlength="8" /></label>
      <button class="primary" type="submit" disabled=${form.busy}>Add user</button>
    </form>
    <${ErrorLine} error=${form.error || users.error || teams.error} />
    ${reset && !form.error ? html`<p class="muted small" role="status">${reset}</p>` : null}
    <table><thead><tr><th>Name</th><th>Email</th><th>Role</th><th>Can sign in</th><th></th></tr></thead><tbody>
      ${(users.data ?? []).map(
        (u) => html`<tr><td>${u.name}</td><td>${u.email}</td><td>
          <select aria-label=${`Role of ${u.name}`} value=${u.role} onChange=${(e) => {
            const role = e.currentTarget.value;
            form.run(async () => {
              await call('patch', '/v1/users/{id}', { params: { id: u.id }, body: { role } });
              reloadUsers();
            });
          }}>${roleOptions}</select></td>
          <td>${u.has_password ? 'yes' : 'no'}</td>
          <td>${
            // One's own second factor is turned off on the Me page, with a code.
            u.id === session.current?.user.id
              ? null
              : html`<button type="button" aria-label=${`Reset the second factor of ${u.name}`} onClick=${() =>
                  confirm(
                    `Reset ${u.name}'s two-factor sign-in? Their sessions end, they sign in next with their password alone and can set up a new authenticator.`,
                  ) &&
                  form.run(async () => {
                    await call('delete', '/v1/users/{id}/two-factor', { params: { id: u.id } });
                    setReset(`${u.name}'s second factor was reset: they sign in with their password alone.`);
                  })}>Reset 2FA</button>`
          }
          <button type="button" class="danger" onClick=${() =>
            confirm(`Remove ${u.name}? Their sessions end at once.`) &&
            form.run(async () => {
              await call('delete', '/v1/users/{id}', { params: { id: u.id } });
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
                await call('delete', '/v1/teams/{id}/members/{user_id}', {
                  params: { id: t.id, user_id: id },
                });
                reloadTeams();
              })}>×</button></span> `;
          })}</td>
          <td><select aria-label=${`Add a member to ${t.name}`} value="" onChange=${(e) => {
            const id = e.currentTarget.value;
            if (id)
              form.run(async () => {
                await call('post', '/v1/teams/{id}/members', {
                  params: { id: t.id },
                  body: { user_ids: [id] },
                });
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

/** What a campaign's buttons do. */
const campaignActions = {
  start: (opts) => call('post', '/v1/campaigns/{id}/start', opts),
  pause: (opts) => call('post', '/v1/campaigns/{id}/pause', opts),
  resume: (opts) => call('post', '/v1/campaigns/{id}/resume', opts),
  cancel: (opts) => call('post', '/v1/campaigns/{id}/cancel', opts),
};

export function Campaigns({ live }) {
  const [list, reload] = useList('/v1/campaigns', { query: { per_page: 50 } });
  const form = useAction();
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
      await campaignActions[action]({ params: { id: c.id } });
      reload();
    });
  return html`<section class="stack">
    <${ErrorLine} error=${form.error || list.error} />
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
