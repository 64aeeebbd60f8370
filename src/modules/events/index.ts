/** The events module's public surface: what other modules may use. */
export { presentEvent } from './events.service.ts';
