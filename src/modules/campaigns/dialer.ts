import type { Scope } from '../../platform/db/scope.ts';
import './campaigns.tables.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { CampaignRecipientsTable, CampaignsTable } from './campaigns.tables.ts';

// ---------------------------------------------------------------------------------------------
// Dialing voice calls goes through the call engine, which registers itself here.

export interface CampaignCall {
  campaign: CampaignsTable;
  recipient: CampaignRecipientsTable;
  contact: { id: string; phone: string; name: string | null };
  dynamicVariables: Record<string, string | number | boolean>;
  /**
   * Run in the transaction that writes the call, before it is written: takes the campaign's dial
   * slot or throws PaceWait (nothing is written then).
   */
  admit(tx: Trx): Promise<void>;
}

export interface CampaignDialer {
  /** Live calls of a workspace and mode (the plan's concurrent-call limit counts these). */
  activeCalls(db: Db | Trx, scope: Scope): Promise<number>;
  /** Places the call (in its own transaction; its jobs dial it). A refusal is an ApiError. */
  placeCall(ctx: AppContext, call: CampaignCall): Promise<{ callId: string }>;
  /** The call an interrupted run of this attempt placed: this campaign's, to this contact, since `since`. */
  findCall(db: Db | Trx, campaignId: string, contactId: string, since: string): Promise<string | null>;
  /** Ends live calls (cancel with hangup). */
  hangup?(ctx: AppContext, scope: Scope, callIds: string[]): Promise<void>;
}

/** The app's dialer (the campaigns module's instance holds it; none when the call engine is absent). */
export const dialerOf = (ctx: AppContext): CampaignDialer | null => ctx.modules.campaigns?.dialer ?? null;
