import type { AppContext } from '../../../platform/context.ts';

/**
 * Graph API versions and the date Meta says each stops working ("Available until" in Meta's Graph
 * API changelog, developers.facebook.com/docs/graph-api/changelog/versions, as of November 2026).
 * The newest, v26.0 (July 29, 2026), has no date yet. Parley's default is the newest.
 */
export const GRAPH_END_OF_LIFE: Record<string, string> = {
  'v25.0': '2028-07-29',
  'v24.0': '2028-02-18',
  'v23.0': '2027-10-08',
  'v22.0': '2027-05-20',
  'v21.0': '2027-01-21',
  'v20.0': '2026-09-24',
  'v19.0': '2026-05-21',
  'v18.0': '2026-01-26',
  'v17.0': '2025-09-12',
  'v16.0': '2025-05-14',
  'v15.0': '2024-11-20',
  'v14.0': '2024-09-17',
  'v13.0': '2024-05-28',
  'v12.0': '2024-02-08',
  'v11.0': '2023-09-14',
  'v10.0': '2023-06-08',
};
export const NEWEST_GRAPH_VERSION = 'v26.0';

/** The end of life Meta states for a version, when it states one. */
export function graphEndOfLife(version: string): string | undefined {
  const known = GRAPH_END_OF_LIFE[version];
  if (known) return known;
  // Versions before v10.0 are long gone.
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  return Number.isFinite(major) && major < 10 ? '2023-06-08' : undefined;
}

/** A warning when `version` is past (or within 30 days of) Meta's end of life for it at `now`. */
export function graphVersionWarning(version: string, now: Date): string | undefined {
  const eol = graphEndOfLife(version);
  if (!eol) return undefined;
  const end = new Date(`${eol}T00:00:00Z`).getTime();
  if (now.getTime() >= end)
    return `PARLEY_META_GRAPH_VERSION ${version} is past its end of life (${eol}, per Meta's Graph API changelog): WhatsApp calls fail or are upgraded by Meta. Set it to ${NEWEST_GRAPH_VERSION} (the default).`;
  if (end - now.getTime() < 30 * 86_400_000)
    return `PARLEY_META_GRAPH_VERSION ${version} reaches its end of life on ${eol} (per Meta's Graph API changelog). Set it to ${NEWEST_GRAPH_VERSION} (the default) before then.`;
  return undefined;
}

/** `/readyz` lists the warning (readiness itself is unchanged). */
export function watchGraphVersion(ctx: AppContext): void {
  const version = ctx.config.metaGraphVersion;
  const first = graphVersionWarning(version, ctx.clock.now());
  if (first) ctx.logger.warn({ version }, first);
  ctx.readyReports.set('warnings:meta_graph_version', () => {
    const w = graphVersionWarning(version, ctx.clock.now());
    return w ? [w] : undefined;
  });
}
