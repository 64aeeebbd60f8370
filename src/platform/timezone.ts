import { type DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

/**
 * Timezones are IANA names only (`Europe/London`, `Asia/Kolkata`, `UTC`). Abbreviations are
 * ambiguous (`BST` is British Summer Time to most people and Asia/Dhaka to the tz database, `IST`
 * is India, Ireland or Israel, `EST` is a fixed UTC-5 with no daylight saving), so they are refused
 * with the IANA name they usually mean.
 */
const ABBREVIATIONS: Record<string, string> = {
  BST: 'Europe/London',
  GMT: 'Europe/London',
  WET: 'Europe/Lisbon',
  CET: 'Europe/Paris',
  CEST: 'Europe/Paris',
  EET: 'Europe/Athens',
  MSK: 'Europe/Moscow',
  IST: 'Asia/Kolkata',
  PKT: 'Asia/Karachi',
  NPT: 'Asia/Kathmandu',
  ICT: 'Asia/Bangkok',
  WIB: 'Asia/Jakarta',
  SGT: 'Asia/Singapore',
  HKT: 'Asia/Hong_Kong',
  CST: 'America/Chicago',
  CDT: 'America/Chicago',
  EST: 'America/New_York',
  EDT: 'America/New_York',
  MST: 'America/Denver',
  MDT: 'America/Denver',
  PST: 'America/Los_Angeles',
  PDT: 'America/Los_Angeles',
  AKST: 'America/Anchorage',
  HST: 'Pacific/Honolulu',
  JST: 'Asia/Tokyo',
  KST: 'Asia/Seoul',
  AEST: 'Australia/Sydney',
  AEDT: 'Australia/Sydney',
  ACST: 'Australia/Adelaide',
  AWST: 'Australia/Perth',
  NZST: 'Pacific/Auckland',
  SAST: 'Africa/Johannesburg',
  WAT: 'Africa/Lagos',
  EAT: 'Africa/Nairobi',
  GST: 'Asia/Dubai',
  AST: 'Asia/Riyadh',
  BRT: 'America/Sao_Paulo',
  ART: 'America/Argentina/Buenos_Aires',
};

/** Names without an area that are still the one obvious zone. */
const BARE_NAMES = new Set(['UTC', 'Etc/UTC']);

/** Why `tz` is not an accepted timezone, or null when it is one. */
export function timezoneProblem(tz: string): string | null {
  const upper = tz.trim().toUpperCase();
  const meant = ABBREVIATIONS[upper];
  if (meant) return `"${tz}" is an abbreviation, not an IANA timezone: did you mean ${meant}?`;
  if (BARE_NAMES.has(tz)) return null;
  if (!tz.includes('/') || !IANAZone.isValidZone(tz)) {
    return `"${tz}" is not an IANA timezone: give a name such as Asia/Kolkata, Europe/London or America/New_York`;
  }
  return null;
}

/** True for an accepted IANA name (an abbreviation or an offset-only legacy zone is not). */
export const isIanaTimezone = (tz: string) => timezoneProblem(tz) === null;

/** A string that must be an IANA timezone; an abbreviation's 400 says the IANA name it likely means. */
export const ianaTimezone = (allow: string[] = []) =>
  z.string().superRefine((tz, ctx) => {
    if (allow.includes(tz)) return;
    const problem = timezoneProblem(tz);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * `HH:MM` (an opening hour) on the local day of `day`, in its zone; `24:00` is the next midnight.
 * Wall-clock, so the hours of a daylight-saving day are right.
 */
export function atClock(day: DateTime, hhmm: string): DateTime {
  if (hhmm === '24:00') return day.plus({ days: 1 }).startOf('day');
  return day.set({
    hour: Number(hhmm.slice(0, 2)),
    minute: Number(hhmm.slice(3, 5)),
    second: 0,
    millisecond: 0,
  });
}
