import { call, clockTime, html } from './lib.js';

/**
 * The workspace tools the AI called in a conversation, as lines of its thread among the messages:
 * the tool, how it went and how long it took; opened, the arguments and the result as recorded
 * (secrets masked and the tool's `redact` keys removed by the server), and the request made.
 */

/** The events that bring a new tool call live. */
export const TOOL_EVENTS = ['tool.called', 'tool.failed'];

/** The conversation's tool calls, oldest first (none when they cannot be read: the thread still shows). */
export const loadToolCalls = (id) =>
  call('get', '/v1/conversations/{id}/tool-calls', { params: { id } }).then(
    (r) => r.data,
    () => [],
  );

const statusText = {
  ok: 'done',
  failed: 'failed',
  mocked: 'answered by a mock',
  skipped: 'not run',
  replayed: 'replayed',
};

const pretty = (v) => (v === null || v === undefined ? '—' : JSON.stringify(v, null, 2));

export function ToolCallLine({ call }) {
  const failed = call.status === 'failed';
  const status = `${statusText[call.status] ?? call.status}${failed && call.code ? ` (${call.code})` : ''}`;
  return html`<details class=${`tool-call${failed ? ' failed' : ''}`} data-id=${call.id} data-status=${call.status}>
    <summary aria-label=${`Tool ${call.tool_name}: ${status}, ${call.latency_ms} ms, at ${clockTime(call.created_at)}`}>
      <span class="tool-name">${call.tool_name}</span> · ${status} · ${call.latency_ms} ms · ${clockTime(call.created_at)}
    </summary>
    <dl>
      <dt>Arguments</dt><dd><pre class="tool-args">${pretty(call.args)}</pre></dd>
      ${call.message ? html`<dt>Why</dt><dd class="tool-message">${call.message}</dd>` : null}
      <dt>Result</dt><dd><pre class="tool-result">${pretty(call.result)}</pre></dd>
      <dt>Request</dt><dd><code>${call.request.method} ${call.request.url}</code>${call.response ? ` → HTTP ${call.response.status}` : ''}${call.attempts > 1 ? ` (${call.attempts} attempts)` : ''}</dd>
    </dl>
  </details>`;
}
