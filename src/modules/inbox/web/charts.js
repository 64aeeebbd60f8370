import { html } from './lib.js';
import { useEffect, useRef } from './vendor/hooks.mjs';
import uPlot from './vendor/uplot.mjs';

/**
 * The Reports page's charts, drawn with uPlot (vendored from node_modules, loaded with this file
 * only when the Reports page opens). A click on a point or bar calls `onPick(index)`; the chart's
 * uPlot instance is kept on its element (`el.uplot`) so browser tests can click a given bar.
 */

const palette = ['#3b5bdb', '#2b8a3e', '#e67700', '#c92a2a', '#7048e8', '#0c8599'];

function useChart(makeOpts, data, onPick, deps) {
  const ref = useRef(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const width = Math.max(260, el.clientWidth || 480);
    const u = new uPlot(makeOpts(width), data, el);
    el.uplot = u;
    const click = () => {
      const i = u.cursor.idx;
      if (i !== null && i !== undefined && pick.current) pick.current(i);
    };
    u.over.addEventListener('click', click);
    const resize = new ResizeObserver(() => {
      const w = Math.max(260, el.clientWidth);
      if (Math.abs(w - u.width) > 4) u.setSize({ width: w, height: u.height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      el.uplot = null;
    };
  }, deps);
  return ref;
}

const bars = () => uPlot.paths.bars({ size: [0.6, 64], align: 0 });

/**
 * Bars over categories (a histogram, reasons, outcomes, scores, a funnel). `labels` name the bars,
 * `values` their heights.
 */
export function BarChart({ id, title, labels, values, onPick, color = palette[0], height = 200 }) {
  const xs = labels.map((_, i) => i);
  const ref = useChart(
    (width) => ({
      width,
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: false, range: [-0.5, labels.length - 0.5] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [
        { values: (_u, splits) => splits.map((v) => labels[v] ?? ''), splits: () => xs, gap: 4, size: 40 },
        { size: 44, values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')) },
      ],
      series: [
        {},
        { label: title, fill: `${color}cc`, stroke: color, paths: bars(), points: { show: false } },
      ],
    }),
    [xs, values],
    onPick,
    [labels.join('|'), values.join('|')],
  );
  return html`<figure class="chart" id=${id} aria-label=${title}>
    <figcaption>${title}</figcaption>
    <div class="plot" ref=${ref} role="img" aria-label=${`${title}: ${labels.map((l, i) => `${l} ${values[i]}`).join(', ')}`}></div>
    <${DataButtons} labels=${labels} values=${values} onPick=${onPick} />
  </figure>`;
}

/**
 * Figures over time: `at` (the series' bucket starts), one bar series and line series.
 * `timezone` is the report's, so ticks read as the report's days and hours.
 */
export function TimeChart({
  id,
  title,
  at,
  barSeries,
  lineSeries = [],
  timezone,
  interval,
  onPick,
  height = 220,
}) {
  const xs = at.map((a) => Date.parse(a) / 1000);
  // The bucket starts are in the report's timezone already: their text is the label.
  const labels = at.map((a) => (interval === 'hour' ? a.slice(11, 16) : a.slice(5, 10)));
  const step = interval === 'hour' ? 3600 : interval === 'week' ? 7 * 86400 : 86400;
  const ref = useChart(
    (width) => ({
      width,
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timezone),
      cursor: { drag: { x: false, y: false } },
      // The legend shows the latest bucket's figures until a point is hovered (not "--").
      hooks: {
        ready: [(u) => showLatest(u, xs.length)],
        setCursor: [(u) => (u.cursor.idx === null || u.cursor.idx === undefined) && showLatest(u, xs.length)],
      },
      scales: {
        x: { time: true, range: (_u, min, max) => [min - step / 2, max + step / 2] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        rate: { range: [0, 1] },
      },
      axes: [
        // One tick per bucket while they fit, named as the bucket (a day, an hour, a week's Monday).
        xs.length <= 16
          ? {
              splits: () => xs,
              values: (_u, splits) => splits.map((v) => labels[xs.indexOf(v)] ?? ''),
              size: 40,
            }
          : {},
        { size: 44 },
        ...(lineSeries.some((s) => s.rate)
          ? [
              {
                scale: 'rate',
                side: 1,
                size: 44,
                grid: { show: false },
                values: (_u, v) => v.map((x) => `${Math.round(x * 100)}%`),
              },
            ]
          : []),
      ],
      series: [
        {
          label: interval === 'hour' ? 'Hour' : interval === 'week' ? 'Week of' : 'Day',
          value: (_u, v) => (v === null || v === undefined ? '' : (labels[xs.indexOf(v)] ?? '')),
        },
        {
          label: barSeries.label,
          fill: `${palette[0]}99`,
          stroke: palette[0],
          paths: bars(),
          points: { show: false },
        },
        ...lineSeries.map((s, i) => ({
          label: s.label,
          stroke: palette[i + 1],
          width: 2,
          scale: s.rate ? 'rate' : 'y',
          spanGaps: true,
        })),
      ],
    }),
    [xs, barSeries.values, ...lineSeries.map((s) => s.values)],
    onPick,
    [at.join('|'), barSeries.values.join('|'), lineSeries.map((s) => s.values.join(',')).join('|'), timezone],
  );
  return html`<figure class="chart wide" id=${id} aria-label=${title}>
    <figcaption>${title}</figcaption>
    <div class="plot" ref=${ref} role="img" aria-label=${title}></div>
    <${DataButtons} labels=${labels} values=${barSeries.values} onPick=${onPick} />
  </figure>`;
}

/** Fills the legend with the figures of the latest bucket (uPlot shows "--" without a cursor). */
function showLatest(u, n) {
  if (n > 0) u.setLegend({ idx: n - 1 });
}

/** The chart's numbers as buttons: the same drill-down from the keyboard or a screen reader. */
function DataButtons({ labels, values, onPick }) {
  return html`<details class="chart-data"><summary>Data</summary>
    <ul>${labels.map(
      (l, i) =>
        html`<li><button type="button" class="link" onClick=${() => onPick?.(i)}>${l}</button> ${values[i]}</li>`,
    )}</ul>
  </details>`;
}
