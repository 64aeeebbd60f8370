import { asksForCatalogue } from './booking-words.ts';
import type { EngineInput } from './engine.ts';
import { type LocaleCode, say } from './locale.ts';

/**
 * "Show me your products": the built-in agent answers with the business's catalogue when the
 * channel has one (a WhatsApp channel's `catalog_id` setting); the reply goes out as a
 * `catalog_message` (reply-content.ts). Not on a call, and not without a catalogue.
 */
export function catalogue(c: {
  input: EngineInput;
  voice: boolean;
  text: string;
  locale: LocaleCode;
}): { reply: string; catalogue: true } | null {
  if (!c.input.catalogue || c.voice || !asksForCatalogue(c.text)) return null;
  return {
    reply: say(c.locale, 'catalogue_sent'),
    catalogue: true,
  };
}
