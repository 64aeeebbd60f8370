/** The privacy module's public surface: what other modules may use. */
export { presentErasure } from './privacy.erasure.ts';
