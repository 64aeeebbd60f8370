import type { Db } from '../../platform/db/database.ts';

/** Whether any workspace has an active Twilio voice channel (its calls need Parley's public wss:// URL). */
export async function hasTwilioVoiceChannel(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('channels')
    .select('id')
    .where('type', '=', 'voice')
    .where('provider', '=', 'twilio')
    .where('status', '=', 'active')
    .limit(1)
    .executeTakeFirst();
  return !!row;
}
