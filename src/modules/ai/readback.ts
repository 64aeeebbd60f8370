import type { LeadFields } from './intents.ts';
import { speakEmail, speakPhone } from './spoken.ts';

/**
 * The words that thank a customer for their details before the rest of the reply. On a call the
 * email and phone number just captured are read back letter by letter and digit by digit (what
 * speech-to-text heard may not be what was said), so the caller can correct them at once.
 */
export function leadNote(lead: LeadFields, hi: boolean, voice: boolean): string {
  const thanks = lead.name
    ? hi
      ? `Shukriya, ${lead.name}! `
      : `Thanks, ${lead.name}! `
    : hi
      ? 'Shukriya, maine note kar liya. '
      : "Thanks, I've noted your details. ";
  if (!voice || !(lead.email || lead.phone)) return thanks;
  const parts = [
    ...(lead.email ? [`${hi ? 'email' : 'your email as'} ${speakEmail(lead.email)}`] : []),
    ...(lead.phone ? [`${hi ? 'number' : 'your number as'} ${speakPhone(lead.phone)}`] : []),
  ];
  return hi
    ? `${thanks}Maine ${parts.join(' aur ')} likha hai; galat ho to bataiye. `
    : `${thanks}I have ${parts.join(', and ')}; tell me if that's not right. `;
}
