/** The teamtools module's public surface (canned responses, macros, automations, CSAT). */

export { automationEvents } from './automations.schemas.ts';
export { fillVariables, renderCanned } from './canned.render.ts';
export { conditionFields } from './conditions.ts';
export { listCsatAnswers } from './csat.service.ts';
