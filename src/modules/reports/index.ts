/** The reports module's public surface: what other modules may use. */
export { overviewReport } from './reports.overview.ts';
