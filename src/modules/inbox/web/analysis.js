import { fullTime, html } from './lib.js';

const show = (v) =>
  v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** What came of the conversation (its `analysis`): summary, outcome, sentiment and extracted fields. */
export function AnalysisPanel({ analysis }) {
  if (!analysis) return null;
  const fields = Object.entries(analysis.data ?? {});
  const outcome = analysis.success === true ? 'Success' : analysis.success === false ? 'Not met' : 'Unsure';
  return html`<section class="analysis" aria-label="Analysis">
    <h3>Analysis</h3>
    ${analysis.summary ? html`<p class="small">${analysis.summary}</p>` : null}
    <dl class="fields">
      <dt>Outcome</dt><dd>${outcome}</dd>
      <dt>Sentiment</dt><dd>${analysis.sentiment ?? '—'}</dd>
      ${fields.map(([k, v]) => html`<dt>${k}</dt><dd>${show(v)}</dd>`)}
    </dl>
    ${analysis.error ? html`<p class="error small">${analysis.error}</p>` : null}
    <p class="muted small">${analysis.engine} · ${fullTime(analysis.computed_at)}</p>
  </section>`;
}
