/**
 * The campaigns module's public surface: what other modules may use. Nothing yet; anything another module
 * needs from campaigns is exported here, never imported from its files.
 */
export { campaignName, campaignRecipientPage } from './campaigns.report.ts';
