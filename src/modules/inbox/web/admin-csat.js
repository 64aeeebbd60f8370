import { ApiForm, useList } from './admin-kit.js';
import { call, html } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/** Manage → CSAT: the satisfaction question asked after resolve, for the workspace or one agent. */
const fields = [
  { name: 'enabled', label: 'Ask customers to rate the conversation when it is resolved', type: 'checkbox' },
  { name: 'question', label: 'Question', type: 'textarea', placeholder: 'How did we do?' },
];

export function CsatAdmin() {
  const [agents] = useList('/v1/agents', { query: { per_page: 100 } });
  const [agentId, setAgentId] = useState('');
  const [settings, setSettings] = useState(null);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  useEffect(() => {
    setSettings(null);
    setSaved('');
    call('get', '/v1/csat/settings', { query: agentId ? { agent_id: agentId } : {} }).then(
      setSettings,
      (err) => setError(err.message),
    );
  }, [agentId]);
  return html`<section class="stack">
    <p class="muted">Asked once on the conversation's channel: a 1-5 list on WhatsApp (inside the 24-hour window), a digit on SMS, a link per score by email. Answers show on the conversation and the contact.</p>
    <label>Settings of<select aria-label="Settings of" value=${agentId} onChange=${(e) => setAgentId(e.currentTarget.value)}>
      <option value="">The workspace (every agent without its own)</option>
      ${(agents.data ?? []).map((a) => html`<option value=${a.id}>Agent ${a.name}</option>`)}
    </select></label>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${saved ? html`<p class="notice" role="status">${saved}</p>` : null}
    ${
      settings
        ? html`<${ApiForm} key=${agentId + JSON.stringify(settings)} fields=${fields} item=${settings.csat} label="CSAT settings" submitLabel="Save CSAT settings"
            submit=${(body) => call('put', '/v1/csat/settings', { body: agentId ? { ...body, agent_id: agentId } : body })}
            onDone=${(s) => {
              setSettings(s);
              setSaved('Saved.');
            }} />`
        : html`<p class="muted">Loading…</p>`
    }
  </section>`;
}
