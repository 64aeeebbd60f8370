/** The audiences module's public surface: what other modules may use. */
export {
  addMembersInTx,
  audienceContactIds,
  getAudienceRow,
  requireAudienceToFill,
  requireStaticAudience,
} from './audiences.service.ts';
