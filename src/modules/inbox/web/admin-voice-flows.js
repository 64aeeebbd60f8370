import { useList } from './admin-kit.js';
import { call, html } from './lib.js';
import { useState } from './vendor/hooks.mjs';

/**
 * Manage → Voice flows: a flow drawn as a diagram (read-only; its JSON is edited with the API)
 * and its test runner (`POST /v1/voice-flows/{id}/test`): scripted caller turns in, the
 * transcript out, and the nodes it went through marked on the diagram.
 */

const W = 150;
const H = 46;
const GAP_X = 70;
const GAP_Y = 26;

/** The edges of a flow: every node's targets, labelled by what takes the call there. */
export function flowEdges(nodes) {
  const edges = [];
  for (const [id, n] of Object.entries(nodes ?? {})) {
    const add = (to, label) => typeof to === 'string' && to && edges.push({ from: id, to, label });
    add(n.next, n.type === 'ask' ? 'answer' : '');
    add(n.on_no_input, 'no input');
    add(n.on_no_match, 'no match');
    add(n.on_fail, 'failed');
    add(n.else, 'else');
    for (const c of n.cases ?? []) add(c.next, conditionText(c.when));
  }
  return edges;
}

const conditionText = (w) => {
  if (!w) return '';
  const [op] = ['eq', 'in', 'gt', 'lt', 'exists'].filter((k) => k in w);
  return op ? `${w.var} ${op} ${Array.isArray(w[op]) ? w[op].join('|') : w[op]}` : (w.var ?? '');
};

/** Columns by distance from the start (breadth first); nodes never reached go in a last column. */
export function flowLayout(start, nodes) {
  const ids = Object.keys(nodes ?? {});
  const depth = new Map([[start, 0]]);
  const queue = [start];
  const edges = flowEdges(nodes);
  while (queue.length) {
    const id = queue.shift();
    for (const e of edges)
      if (e.from === id && !depth.has(e.to) && nodes[e.to]) {
        depth.set(e.to, depth.get(id) + 1);
        queue.push(e.to);
      }
  }
  const last = Math.max(0, ...depth.values()) + 1;
  const columns = [];
  for (const id of ids) {
    const x = depth.get(id) ?? last;
    columns[x] = [...(columns[x] ?? []), id];
  }
  const at = new Map();
  columns.forEach((col, x) => {
    col?.forEach((id, y) => {
      at.set(id, { x: 10 + x * (W + GAP_X), y: 10 + y * (H + GAP_Y) });
    });
  });
  return { at, edges };
}

export function FlowDiagram({ flow, visited = [] }) {
  const { at, edges } = flowLayout(flow.start, flow.nodes);
  const width = Math.max(...[...at.values()].map((p) => p.x + W)) + 10;
  const height = Math.max(...[...at.values()].map((p) => p.y + H)) + 10;
  const seen = new Set(visited);
  const line = (e, i) => {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) return null;
    const [x1, y1] = [a.x + W, a.y + H / 2];
    const [x2, y2] = b.x > a.x ? [b.x, b.y + H / 2] : [b.x + W / 2, b.y + (b.y > a.y ? 0 : H)];
    const mid = (x1 + x2) / 2;
    return html`<g class=${`edge ${seen.has(e.from) && seen.has(e.to) ? 'visited' : ''}`} key=${i} data-from=${e.from} data-to=${e.to}>
      <path d=${`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`} fill="none" marker-end="url(#arrow)" />
      ${e.label ? html`<text x=${mid} y=${(y1 + y2) / 2 - 4} text-anchor="middle">${e.label}</text>` : null}
    </g>`;
  };
  return html`<svg class="flow-diagram" role="img" aria-label=${`Diagram of ${flow.name}`} width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`}>
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" /></marker></defs>
    ${edges.map(line)}
    ${[...at.entries()].map(([id, p]) => {
      const n = flow.nodes[id];
      return html`<g class=${`node node-${n.type} ${seen.has(id) ? 'visited' : ''} ${id === flow.start ? 'start' : ''}`} data-id=${id} key=${id}>
        <title>${n.text ?? n.prompt ?? n.type}</title>
        <rect x=${p.x} y=${p.y} width=${W} height=${H} rx="8" />
        <text x=${p.x + 10} y=${p.y + 19} class="node-id">${id}</text>
        <text x=${p.x + 10} y=${p.y + 36} class="node-type">${n.type}${n.outcome ? ` · ${n.outcome}` : ''}</text>
      </g>`;
    })}
  </svg>`;
}

/** A caller turn as typed: `dtmf 1` presses keys, `(silence)` says nothing, anything else is words. */
const turnOf = (line) => {
  const dtmf = /^dtmf\s+([0-9*#]+)$/i.exec(line);
  if (dtmf) return { dtmf: dtmf[1] };
  if (/^\(silence\)$/i.test(line)) return { no_input: true };
  return line;
};

function TestRunner({ flow, onPath }) {
  const [inputs, setInputs] = useState('');
  const [result, setResult] = useState(null);
  const [error, setError] = useState('');
  const run = async (e) => {
    e.preventDefault();
    setError('');
    try {
      const body = {
        inputs: inputs
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .map(turnOf),
      };
      const r = await call('post', '/v1/voice-flows/{id}/test', { params: { id: flow.id }, body });
      setResult(r);
      onPath(r.path);
    } catch (err) {
      setError(
        err.message +
          (err.fieldErrors?.length
            ? ` (${err.fieldErrors.map((x) => `${x.field}: ${x.message}`).join('; ')})`
            : ''),
      );
    }
  };
  return html`<form class="card pad stack" aria-label="Test the flow" onSubmit=${run}>
    <label for="flow-inputs">What the caller says, one turn a line (<code>dtmf 1</code> presses keys, <code>(silence)</code> says nothing)</label>
    <textarea id="flow-inputs" rows="4" value=${inputs} onInput=${(e) => setInputs(e.currentTarget.value)}></textarea>
    <div class="row"><button class="primary" type="submit">Run the test</button></div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      result
        ? html`<section aria-label="Test result" class="stack">
          <p><strong>Outcome:</strong> ${result.outcome ?? 'none'} <span class="muted small">(${result.ended_reason})</span></p>
          <ol class="flow-transcript">${result.transcript.map((t) => html`<li class=${t.role}><span class="muted small">${t.role === 'agent' ? 'Agent' : 'Caller'} · ${t.node}</span> ${t.text}</li>`)}</ol>
        </section>`
        : null
    }
  </form>`;
}

export function VoiceFlowsAdmin() {
  const [list] = useList('/v1/voice-flows', { query: { per_page: 100 } });
  const [chosen, setChosen] = useState('');
  const [path, setPath] = useState([]);
  const flow = (list.data ?? []).find((f) => f.id === chosen) ?? list.data?.[0];
  return html`<section class="stack">
    <p class="muted">Flows are written as JSON with the API (<code>POST /v1/voice-flows</code>); here they are drawn, and tried in text.</p>
    ${list.error ? html`<p class="error" role="alert">${list.error}</p>` : null}
    ${list.data?.length === 0 ? html`<p class="muted">No voice flow yet.</p>` : null}
    ${
      list.data?.length
        ? html`<label>Flow<select aria-label="Flow" value=${flow?.id} onChange=${(e) => {
            setChosen(e.currentTarget.value);
            setPath([]);
          }}>${list.data.map((f) => html`<option value=${f.id}>${f.name}</option>`)}</select></label>`
        : null
    }
    ${flow ? html`<div class="flow-scroll"><${FlowDiagram} flow=${flow} visited=${path} /></div><${TestRunner} key=${flow.id} flow=${flow} onPath=${setPath} />` : null}
  </section>`;
}
