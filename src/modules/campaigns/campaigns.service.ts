/**
 * The campaigns module's operations, one file per concern: reading (`read.ts`), creating and
 * changing (`write.ts`), start/pause/resume/cancel and completion (`controls.ts`), expanding an
 * audience into recipients (`expansion.ts`), the scheduling pass (`scheduler.ts`), dialing or
 * sending to one recipient (`dialing.ts`) and the end of a campaign call (`call-ended.ts`).
 */
export type { Scope } from '../../platform/db/scope.ts';
export { type CallEnd, flowInUse, onCampaignCallEnded, refuseAgentInUse, resultOf } from './call-ended.ts';
export { cancelCampaign, pauseCampaign, resumeCampaign, startCampaign } from './controls.ts';
export type { CampaignCall, CampaignDialer } from './dialer.ts';
export { runDial } from './dialing.ts';
export { runExpansion } from './expansion.ts';
export {
  type Campaign,
  getCampaign,
  getCampaignRow,
  listCampaigns,
  listRecipients,
  presentCampaign,
} from './read.ts';
export { type PassReport, runPass } from './scheduler.ts';
export { createCampaign, updateCampaign } from './write.ts';
