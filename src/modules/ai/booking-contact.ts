import type { AgentConfig } from '../agents/index.ts';
import { extractLeadFields } from './intents.ts';

/**
 * A booking for someone the business cannot reach is no booking: a website visitor (the web
 * widget, where a contact starts with no name, phone or email) gives a name and a phone or email
 * before anything is booked (the agent's `booking.require_contact`, default on). Other channels'
 * customers are reachable where they wrote and are booked as before.
 */
export interface ContactDetails {
  name?: string;
  email?: string;
  phone?: string;
}

export type MissingContact = 'name' | 'phone_or_email';

/** Whether a booking in this conversation waits for the customer's name and a phone or email. */
export function bookingNeedsContact(agent: AgentConfig, channel: string): boolean {
  return channel === 'web' && (agent.booking?.require_contact ?? true);
}

/** What the details lack for a booking: a name, a way to reach them. */
export function missingContact(d: ContactDetails): MissingContact[] {
  const missing: MissingContact[] = [];
  if (!d.name?.trim()) missing.push('name');
  if (!d.phone?.trim() && !d.email?.trim()) missing.push('phone_or_email');
  return missing;
}

/** The details known, the first given winning for each field. */
export function mergeDetails(...all: Array<ContactDetails | undefined | null>): ContactDetails {
  const out: ContactDetails = {};
  for (const d of all) {
    if (!d) continue;
    for (const k of ['name', 'email', 'phone'] as const) if (!out[k] && d[k]?.trim()) out[k] = d[k]!.trim();
  }
  return out;
}

/** The booking tool's refusal: what to ask the customer for; an LLM relays its message. */
export class ContactNeeded extends Error {
  readonly missing: MissingContact[];
  constructor(missing: MissingContact[]) {
    super(
      `Before booking, ask the customer for ${missing
        .map((m) => (m === 'name' ? 'their name' : 'a phone number or email'))
        .join(' and ')}: the business needs a way to reach them. Book once they have given it.`,
    );
    this.name = 'ContactNeeded';
    this.missing = missing;
  }
}

const filler =
  /\b(my|name|naam|mera|is|it's|its|hai|h|and|aur|phone|number|no|mobile|email|e-mail|mail|id|here|this|i'm|im|am|you|can|reach|me|at|on|sure|ok|okay|yes|haan|ji)\b/giu;

/**
 * The details in an answer to "may I have your name and a phone number or email?": the lead
 * words ("my name is Priya"), else the few words left beside a number or an address ("Priya,
 * 98765 43210") taken as the name, since the question asked for it.
 */
export function contactAnswer(text: string, defaultCountry: string): ContactDetails {
  const found = extractLeadFields(text, defaultCountry);
  if (found.name) return found;
  // A bare name ("Priya Sharma") answers the question too; a time or a question does not.
  const bare = /^[\p{L}\s.'-]+$/u.test(text.trim());
  if (!found.phone && !found.email && !bare) return found;
  let rest = text
    .replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, ' ')
    .replace(/\+?[\d][\d\s().-]{5,}\d/g, ' ');
  rest = rest
    .replace(filler, ' ')
    .replace(/[^\p{L}\s'-]/gu, ' ')
    .trim();
  const words = rest.split(/\s+/).filter(Boolean);
  if (words.length === 0 || words.length > 3 || words.some((w) => w.length < 2)) return found;
  const name = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
  return { ...found, name };
}
