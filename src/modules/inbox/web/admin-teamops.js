import { AutomationsAdmin } from './admin-automations.js';
import { CannedAdmin } from './admin-canned.js';
import { ChannelsAdmin } from './admin-channels.js';
import { CsatAdmin } from './admin-csat.js';
import { HandoffAdmin } from './admin-handoff.js';
import { MacrosAdmin } from './admin-macros.js';
import { RulesAdmin } from './admin-rules.js';
import { SlaAdmin } from './admin-sla.js';
import { VoiceFlowsAdmin } from './admin-voice-flows.js';

/**
 * The team-operations pages of Manage: [path segment, title, page].
 * @type {Array<[string, string, (props: { live: any }) => any]>}
 */
export const TEAMOPS_PAGES = [
  ['assignment', 'Assignment rules', RulesAdmin],
  ['handoff', 'Handoff policy', HandoffAdmin],
  ['canned', 'Canned responses', CannedAdmin],
  ['macros', 'Macros', MacrosAdmin],
  ['automations', 'Automations', AutomationsAdmin],
  ['sla', 'SLA policies', SlaAdmin],
  ['csat', 'CSAT', CsatAdmin],
  ['channels', 'Channels', ChannelsAdmin],
  ['voice-flows', 'Voice flows', VoiceFlowsAdmin],
];
