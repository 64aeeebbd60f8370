import type { LeadFields } from './intents.ts';
import { type LocaleCode, say } from './locale.ts';
import { speakEmail, speakPhone } from './spoken.ts';

/**
 * The words that thank a customer for their details before the rest of the reply. On a call the
 * email and phone number just captured are read back letter by letter and digit by digit (what
 * speech-to-text heard may not be what was said), so the caller can correct them at once.
 */
export function leadNote(lead: LeadFields, locale: LocaleCode, voice: boolean): string {
  const thanks = lead.name
    ? say(locale, 'lead_thanks_name', { name: lead.name })
    : say(locale, 'lead_thanks');
  if (!voice || !(lead.email || lead.phone)) return thanks;
  const parts = [
    ...(lead.email ? [say(locale, 'lead_email', { email: speakEmail(lead.email) })] : []),
    ...(lead.phone ? [say(locale, 'lead_phone', { phone: speakPhone(lead.phone) })] : []),
  ];
  return say(locale, 'lead_readback', { thanks, parts: parts.join(say(locale, 'lead_and')) });
}
