/** The knowledge module's public surface: what other modules may use. */
export { TITLE_SEPARATOR } from './chunking.ts';
export { searchKnowledge } from './knowledge.service.ts';
export type { SearchHit } from './search.ts';
