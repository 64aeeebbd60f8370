import { FieldErrorText, SettingsForm } from './admin-kit.js';
import { call, html } from './lib.js';
import { useState } from './vendor/hooks.mjs';
import { modelProviders } from './vendor/vocabulary.mjs';

/**
 * The agent's model (docs/models.md): who writes its replies, the server's address and key (the key
 * is write-only: left empty it stays as it is), how tools are called, the reply's time budget and
 * whether the built-in engine answers when the model fails; and "Check the model", which sends a
 * tiny request through `POST /v1/agents/{id}/model-check` and shows what works.
 */
export function ModelSettings({ agent, common }) {
  const m = agent.model;
  const others = (m.fallbacks ?? []).filter((f) => f !== 'builtin');
  // A fallback model with its own key cannot be sent back from here (its key is never shown).
  const locked = others.some((f) => f.api_key_set);
  const initial = {
    provider: m.provider,
    name: m.provider === 'builtin' ? '' : m.name,
    base_url: m.base_url ?? '',
    api_key: '',
    tool_calling: m.tool_calling,
    timeout_s: m.timeout_ms ? String(m.timeout_ms / 1000) : '',
    builtin_fallback: (m.fallbacks ?? []).includes('builtin'),
  };
  const toBody = (v) => {
    if (v.provider === 'builtin') return { model: { provider: 'builtin' } };
    // Other fallback models are kept as set through the API; their keys stay out of the page.
    const keptOthers = others.map((f) => ({ provider: f.provider, name: f.name, base_url: f.base_url }));
    return {
      model: {
        provider: v.provider,
        name: v.name.trim() || undefined,
        base_url: v.base_url.trim() || null,
        ...(v.api_key ? { api_key: v.api_key } : {}),
        tool_calling: v.tool_calling,
        timeout_ms: v.timeout_s === '' ? null : Math.round(Number(v.timeout_s) * 1000),
        ...(others.some((f) => f.api_key_set)
          ? {}
          : { fallbacks: [...keptOthers, ...(v.builtin_fallback ? ['builtin'] : [])] }),
      },
    };
  };
  const field = (v, set, errorAt, key, label, path, extra = {}) => html`<div class="field">
    <label for=${`agent-model-${key}`}>${label}</label>
    <input id=${`agent-model-${key}`} value=${v[key]} aria-invalid=${errorAt(path) ? 'true' : undefined}
      onInput=${(e) => set({ ...v, [key]: e.currentTarget.value })} ...${extra} />
    ${extra.help ? html`<span class="muted small">${extra.help}</span>` : null}
    <${FieldErrorText} id=${`agent-model-${key}-error`} error=${errorAt(path)} />
  </div>`;
  return html`<div class="stack">
    <${SettingsForm} label="Model" initial=${initial} toBody=${toBody} ...${common}>
      ${(v, set, errorAt) => html`
        <div class="field">
          <label for="agent-model-provider">Provider</label>
          <select id="agent-model-provider" value=${v.provider} onChange=${(e) => set({ ...v, provider: e.currentTarget.value })}>
            ${modelProviders.map((p) => html`<option value=${p}>${PROVIDER_NAMES[p] ?? p}</option>`)}
          </select>
          <${FieldErrorText} id="agent-model-provider-error" error=${errorAt('model.provider')} />
        </div>
        ${
          v.provider === 'builtin'
            ? html`<p class="muted small">The built-in engine answers from the knowledge base and books, with no model and no network.</p>`
            : html`
          ${field(v, set, errorAt, 'name', 'Model name', 'model.name', { placeholder: 'llama3.1:8b' })}
          ${field(v, set, errorAt, 'base_url', 'Base URL', 'model.base_url', { placeholder: 'http://localhost:11434/v1', help: 'Empty: the preset’s address (Ollama, vLLM, Groq, ...). Required for OpenAI-compatible and Azure.' })}
          ${field(v, set, errorAt, 'api_key', 'API key', 'model.api_key', { type: 'password', autocomplete: 'off', help: m.api_key_set ? 'A key is set; type a new one to replace it.' : 'None set: the server’s OPENAI_API_KEY / ANTHROPIC_API_KEY, or none.' })}
          <div class="field">
            <label for="agent-model-tools">Tool calls</label>
            <select id="agent-model-tools" value=${v.tool_calling} onChange=${(e) => set({ ...v, tool_calling: e.currentTarget.value })}>
              <option value="auto">Automatic (native, JSON when refused)</option>
              <option value="native">Native function calling</option>
              <option value="json">JSON in the answer (models without tools)</option>
            </select>
          </div>
          ${field(v, set, errorAt, 'timeout_s', 'Time budget per reply (seconds)', 'model.timeout_ms', { type: 'number', min: '1', max: '120', help: 'Empty: 20 s on chat, 15 s on a call.' })}
          <label><input type="checkbox" checked=${v.builtin_fallback} disabled=${locked} onChange=${(e) => set({ ...v, builtin_fallback: e.currentTarget.checked })} /> When the model fails, the built-in engine answers (else a person)</label>
          ${locked ? html`<p class="muted small">This agent’s fallbacks include a model with its own key: change them through <code>PATCH /v1/agents/{id}</code>.</p>` : null}
          ${others.length ? html`<p class="muted small">Fallback models set through the API: ${others.map((f) => `${f.provider}:${f.name}`).join(', ')}.</p>` : null}`
        }`}
    <//>
    ${agent.model.provider === 'builtin' ? null : html`<${ModelCheck} agent=${agent} />`}
  </div>`;
}

const PROVIDER_NAMES = {
  builtin: 'Built-in engine (no model)',
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  google: 'Google Gemini',
  azure: 'Azure OpenAI',
  openai_compatible: 'OpenAI-compatible server',
  ollama: 'Ollama',
  vllm: 'vLLM',
  llamacpp: 'llama.cpp server',
  lmstudio: 'LM Studio',
  groq: 'Groq',
  openrouter: 'OpenRouter',
  together: 'Together',
};

const yesNo = (v) => (v === null || v === undefined ? 'not known' : v ? 'yes' : 'no');

/** "Check the model": the saved model's answer to a tiny request, each capability a line. */
function ModelCheck({ agent }) {
  const [state, setState] = useState({ busy: false, result: null, error: '' });
  const check = async () => {
    setState({ busy: true, result: null, error: '' });
    try {
      const result = await call('post', '/v1/agents/{id}/model-check', { params: { id: agent.id } });
      setState({ busy: false, result, error: '' });
    } catch (err) {
      setState({ busy: false, result: null, error: err.message });
    }
  };
  const r = state.result;
  return html`<section class="card pad stack model-check" aria-label="Check the model">
    <div class="row">
      <button type="button" onClick=${check} disabled=${state.busy}>${state.busy ? 'Checking…' : 'Check the model'}</button>
      <span class="muted small">Sends a tiny request to the saved model (save changes first).</span>
    </div>
    ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : null}
    ${
      r
        ? html`<dl class="facts" role="status">
        <dt>Reachable</dt><dd>${r.reachable ? 'yes' : 'no'}</dd>
        <dt>Model found</dt><dd>${yesNo(r.model_found)}</dd>
        <dt>Streaming</dt><dd>${yesNo(r.streaming)}</dd>
        <dt>Tool calling</dt><dd>${yesNo(r.tool_calling)}${r.tool_calling === false ? ' (set Tool calls to JSON)' : ''}</dd>
        <dt>JSON output</dt><dd>${yesNo(r.json_output)}</dd>
        <dt>Latency</dt><dd>${r.latency_ms === null ? '—' : `${r.latency_ms} ms`}</dd>
        ${r.error ? html`<dt>Error</dt><dd class="error">${r.error}</dd>` : null}
      </dl>`
        : null
    }
  </section>`;
}
