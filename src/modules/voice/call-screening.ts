import type { AppContext } from '../../platform/context.ts';
import { fillVariables } from '../ai/index.ts';
import { defaultScreenerMessage, type ScreenerSettings } from './engine/screener.ts';
import type { StoredVoiceSettings } from './voice.settings.ts';
import type { CallRow } from './voice.tables.ts';

/**
 * How an outbound phone call deals with a call-screening assistant (engine/screener.ts; the
 * session puts the screener on): the agent's `call_screener` settings, the message filled in, and
 * `answered_by: call_screener` written when one answers. None for inbound and web calls (nobody
 * screens those).
 */
export function callScreener(
  ctx: AppContext,
  call: CallRow,
  opts: { stored: StoredVoiceSettings; agentName: string | null; variables: Record<string, string> },
): ScreenerSettings | undefined {
  if (call.direction !== 'outbound' || call.transport === 'web') return undefined;
  const settings = opts.stored.call_screener;
  const message = settings?.message
    ? fillVariables(settings.message, opts.variables)
    : defaultScreenerMessage(opts.agentName, opts.variables);
  return {
    action: settings?.action ?? 'state_purpose',
    message,
    detected: async () => {
      await ctx.db
        .updateTable('calls')
        .set({ answered_by: 'call_screener', updated_at: ctx.clock.now().toISOString() })
        .where('id', '=', call.id)
        .execute();
    },
  };
}
