/** The widget module's public surface: what other modules may use. */
export { originAllowed } from './widget.access.ts';
export { openStreams } from './widget.stream.ts';
