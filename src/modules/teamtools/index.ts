/** The teamtools module's public surface (canned responses, macros, automations, CSAT). */
export { fillVariables, renderCanned } from './canned.render.ts';
