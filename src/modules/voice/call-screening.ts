import type { AppContext } from '../../platform/context.ts';
import { fillVariables } from '../ai/index.ts';
import { defaultScreenerMessage, screeningDriver } from './engine/screener.ts';
import type { CallDriver, Scheduler } from './engine/types.ts';
import type { StoredVoiceSettings } from './voice.settings.ts';
import type { CallRow } from './voice.tables.ts';

/**
 * An outbound phone call's driver with call-screener handling (engine/screener.ts): the agent's
 * `call_screener` settings, the message filled in, and `answered_by: call_screener` written when
 * one answers. Inbound and web calls are returned as they are (nobody screens those).
 */
export function withCallScreening(
  ctx: AppContext,
  call: CallRow,
  driver: CallDriver,
  opts: {
    stored: StoredVoiceSettings;
    agentName: string | null;
    variables: Record<string, string>;
    scheduler: Scheduler;
    note(text: string): void;
  },
): CallDriver {
  if (call.direction !== 'outbound' || call.transport === 'web') return driver;
  const settings = opts.stored.call_screener;
  const message = settings?.message
    ? fillVariables(settings.message, opts.variables)
    : defaultScreenerMessage(opts.agentName, opts.variables);
  return screeningDriver(driver, {
    action: settings?.action ?? 'state_purpose',
    message,
    now: () => opts.scheduler.now(),
    note: opts.note,
    detected: async () => {
      await ctx.db
        .updateTable('calls')
        .set({ answered_by: 'call_screener', updated_at: ctx.clock.now().toISOString() })
        .where('id', '=', call.id)
        .execute();
    },
  });
}
