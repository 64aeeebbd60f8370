import { DateTime } from 'luxon';
import type { Db } from '../../platform/db/database.ts';
import { fromJson } from '../../platform/json.ts';
import { channelById } from '../channels/index.ts';
import type { ConversationRow } from '../conversations/index.ts';
import type { InteractiveInput, MessageRow } from '../messaging/index.ts';
import type { EngineResult, Slot } from './engine.ts';
import { dateIn, type LocaleCode, say } from './locale.ts';

/**
 * How the agent's reply goes out on WhatsApp: free slots it offers as a list (one tap picks one;
 * the row's id carries the slot), and the business's catalogue as a `catalog_message` when the
 * built-in agent sends it. Elsewhere, and when the reply is too long for an interactive body,
 * it is plain text.
 */

const SLOT_ROW = 'slot:';
const BODY_MAX = 1024;
const LIST_BUTTON_MAX = 20;

export type ReplyContent =
  | { type: 'text'; text: string }
  | { type: 'interactive'; interactive: InteractiveInput };

/** A WhatsApp channel's catalogue (its `catalog_id` setting), which the built-in agent may send. */
export async function channelCatalogue(
  db: Db,
  conversation: Pick<ConversationRow, 'channel' | 'channel_id'>,
) {
  if (conversation.channel !== 'whatsapp') return undefined;
  const channel = await channelById(db, conversation.channel_id);
  const id = fromJson<{ catalog_id?: unknown }>(channel?.settings ?? null, {}).catalog_id;
  return typeof id === 'string' && /^\d{1,30}$/.test(id) ? id : undefined;
}

export function replyContent(
  result: Pick<EngineResult, 'actions' | 'catalogue'>,
  reply: string,
  channel: string,
  timezone: string,
  locale: LocaleCode,
): ReplyContent {
  const text = { type: 'text' as const, text: Array.from(reply).slice(0, 4096).join('') };
  if (channel !== 'whatsapp' || Array.from(reply).length > BODY_MAX || !reply.trim()) return text;
  if (result.catalogue)
    return {
      type: 'interactive',
      interactive: { type: 'catalog_message', body: reply, catalog_message: {} },
    };
  const offered = [...result.actions]
    .reverse()
    .find((a) => a.type === 'booking_proposed' || a.type === 'reschedule_proposed');
  const slots = (offered?.data.slots as Slot[] | undefined)?.slice(0, 10) ?? [];
  // WhatsApp's list button holds at most 20 characters: a catalogue's longer words go as text.
  const button = say(locale, 'choose_time');
  if (slots.length === 0 || Array.from(button).length > LIST_BUTTON_MAX) return text;
  const rows = slots.map((s) => {
    const at = DateTime.fromISO(s.start_at).setZone(timezone);
    return {
      id: `${SLOT_ROW}${s.start_at}`,
      title: at.toFormat('HH:mm'),
      description: dateIn(locale, at, 'cccc d LLLL'),
    };
  });
  return {
    type: 'interactive',
    interactive: {
      type: 'list',
      body: reply,
      list: { button, sections: [{ rows }] },
    },
  };
}

/**
 * What a customer's message says to the agent: a slot picked from the list is its day and time
 * as the booking dialogue reads them (`2026-05-12 15:00`, in the business's time zone).
 */
export function customerText(
  m: Pick<MessageRow, 'type' | 'text' | 'interactive'>,
  timezone: string,
): string | null {
  if (m.type !== 'interactive') return m.text;
  const id = fromJson<{ id?: unknown }>(m.interactive, {}).id;
  if (typeof id !== 'string' || !id.startsWith(SLOT_ROW)) return m.text;
  const at = DateTime.fromISO(id.slice(SLOT_ROW.length)).setZone(timezone);
  return at.isValid ? at.toFormat('yyyy-MM-dd HH:mm') : m.text;
}
