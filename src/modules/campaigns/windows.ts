import ct from 'countries-and-timezones';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { DateTime, IANAZone } from 'luxon';
import { isIanaTimezone } from '../../platform/timezone.ts';
import { PREFIXES, ZONES } from './phone-timezones.data.ts';

/**
 * Calling windows in each recipient's own time: which zones a number may be in, and when a
 * window is open in all of them. Defaults follow the law where it is known (India's TRAI:
 * 09:00-21:00; the US TCPA and Canada: 08:00-21:00), and those hours also bound any window a
 * campaign sets for numbers of those countries.
 */

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

export interface CallingWindow {
  days: Weekday[];
  /** HH:MM, local time. */
  start: string;
  end: string;
}

export type TimezoneSource = 'contact' | 'country' | 'prefix' | 'campaign';

export interface RecipientZones {
  zones: string[];
  source: TimezoneSource;
  /** ISO country of the number, when known. */
  country: string | null;
}

// Built once per process and read-only after: the prefix table and what was looked up
// (zone names are checked once each; Luxon's check builds an Intl formatter, ~50 µs).
let prefixMap: Map<string, string[]> | undefined;
function prefixes(): Map<string, string[]> {
  if (!prefixMap) {
    const zones = ZONES.map((z) => canonicalZone(z)).map((z) => (IANAZone.isValidZone(z) ? z : null));
    prefixMap = new Map();
    for (const entry of PREFIXES.split(';')) {
      const [prefix, ids] = entry.split(':') as [string, string];
      const list = ids
        .split('.')
        .map((i) => zones[Number(i)])
        .filter((z): z is string => z !== null && z !== undefined);
      prefixMap.set(prefix, [...new Set(list)]);
    }
  }
  return prefixMap;
}

const validZones = new Map<string, string | null>();
function validZone(zone: string): string | null {
  let v = validZones.get(zone);
  if (v === undefined) {
    v = isIanaTimezone(zone) ? canonicalZone(zone) : null;
    if (validZones.size < 10_000) validZones.set(zone, v);
  }
  return v;
}

const countryZones = new Map<string, string[]>();
function zonesOfCountry(country: string): string[] {
  let z = countryZones.get(country);
  if (!z) {
    z = (ct.getCountry(country)?.timezones ?? []).map(canonicalZone);
    countryZones.set(country, z);
  }
  return z;
}

/** Legacy names (Asia/Calcutta) as their current ones (Asia/Kolkata). */
function canonicalZone(zone: string): string {
  return ct.getTimezone(zone)?.aliasOf ?? zone;
}

/** The zones of the longest known prefix of an E.164 number. */
function zonesByPrefix(e164: string): string[] {
  const digits = e164.replace(/\D/g, '');
  const map = prefixes();
  for (let n = Math.min(digits.length, 12); n > 0; n--) {
    const zones = map.get(digits.slice(0, n));
    if (zones) return zones;
  }
  return [];
}

/**
 * Where a recipient is in time: the contact's `timezone` attribute when it is a valid IANA
 * zone; else the number's country when it has one zone; else the number's prefix; where that
 * still leaves several zones, all of them (a window must be open in every one).
 */
export function recipientZones(phone: string | null, attributeTimezone: unknown): RecipientZones {
  const parsed = phone ? parsePhoneNumberFromString(phone) : undefined;
  const country = parsed?.country ?? null;
  const own = typeof attributeTimezone === 'string' ? validZone(attributeTimezone) : null;
  if (own) return { zones: [own], source: 'contact', country };
  if (country) {
    const zones = zonesOfCountry(country);
    if (zones.length === 1) return { zones, source: 'country', country };
  }
  const byPrefix = phone ? zonesByPrefix(phone) : [];
  if (byPrefix.length) return { zones: byPrefix, source: 'prefix', country };
  return { zones: ['UTC'], source: 'prefix', country };
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Hours the law allows for commercial calls, where we know them. */
export function legalHours(country: string | null): { start: string; end: string } | null {
  if (country === 'IN') return { start: '09:00', end: '21:00' };
  if (country === 'US' || country === 'CA') return { start: '08:00', end: '21:00' };
  return null;
}

/** Windows when a campaign gives none: 09:00-21:00 for Indian numbers, 08:00-21:00 elsewhere, every day. */
export function defaultWindows(country: string | null): CallingWindow[] {
  const hours = country === 'IN' ? { start: '09:00', end: '21:00' } : { start: '08:00', end: '21:00' };
  return [{ days: [...weekdays], ...hours }];
}

/** Is `at` inside one of the windows in `zone`? */
function openIn(zone: string, at: Date, windows: CallingWindow[]) {
  const local = DateTime.fromJSDate(at, { zone });
  const day = weekdays[local.weekday - 1]!;
  const m = local.hour * 60 + local.minute;
  return windows.some((w) => w.days.includes(day) && m >= minutes(w.start) && m < minutes(w.end));
}

/** Is `at` inside the legal hours in `zone`? */
function legalIn(zone: string, at: Date, legal: { start: string; end: string }) {
  const local = DateTime.fromJSDate(at, { zone });
  const m = local.hour * 60 + local.minute;
  return m >= minutes(legal.start) && m < minutes(legal.end);
}

export interface WindowRule {
  /** The zones the campaign's windows are read in (the recipient's, or the campaign's own). */
  zones: string[];
  country: string | null;
  /** The campaign's windows; null for the defaults. */
  windows: CallingWindow[] | null;
  /**
   * The recipient's own zones, where the legal hours (and the default windows) are read whatever
   * zone the campaign's windows are written in; `zones` when absent (already the recipient's).
   */
  legalZones?: string[];
}

export function isOpen(rule: WindowRule, at: Date): boolean {
  const windows = rule.windows ?? defaultWindows(rule.country);
  const legal = legalHours(rule.country);
  const own = rule.legalZones ?? rule.zones;
  if (legal && !own.every((z) => legalIn(z, at, legal))) return false;
  // The default windows are the law's hours or close to them: always the recipient's own time.
  return (rule.windows ? rule.zones : own).every((z) => openIn(z, at, windows));
}

/**
 * The first moment at or after `from` when the window is open in every zone, within 8 days;
 * null when it never opens (windows that cannot overlap across the zones). Candidates are the
 * window and legal-hour starts in each zone, so the answer is exact to the minute.
 */
export function nextOpening(rule: WindowRule, from: Date): Date | null {
  if (isOpen(rule, from)) return from;
  const windows = rule.windows ?? defaultWindows(rule.country);
  const legal = legalHours(rule.country);
  const starts = new Set(windows.map((w) => w.start));
  if (legal) starts.add(legal.start);
  const candidates: number[] = [];
  for (const zone of new Set([...rule.zones, ...(rule.legalZones ?? [])])) {
    const base = DateTime.fromJSDate(from, { zone }).startOf('day');
    for (let d = 0; d <= 8; d++) {
      for (const s of starts) {
        const t = base.plus({ days: d }).set({ hour: Math.floor(minutes(s) / 60), minute: minutes(s) % 60 });
        if (t.toMillis() > from.getTime()) candidates.push(t.toMillis());
      }
    }
  }
  candidates.sort((a, b) => a - b);
  for (const c of candidates) if (isOpen(rule, new Date(c))) return new Date(c);
  return null;
}

/** Where a campaign reads a recipient's windows: the recipient's zones, or the campaign's own zone. */
export function zonesFor(
  phone: string | null,
  attributeTimezone: unknown,
  timezone: string,
): RecipientZones & { legalZones?: string[] } {
  const found = recipientZones(phone, attributeTimezone);
  return timezone === 'recipient'
    ? found
    : { zones: [timezone], source: 'campaign', country: found.country, legalZones: found.zones };
}

/**
 * A recipient's rule. Windows written in the campaign's zone (`source: "campaign"`) still keep
 * the law's hours, and the default windows, in the recipient's own time: the contact's zone when
 * known at creation, else the number's zones.
 */
export function ruleFor(
  r: {
    zones: string[];
    country: string | null;
    phone?: string | null;
    source?: string;
    legalZones?: string[];
  },
  windows: CallingWindow[] | null,
): WindowRule {
  let legalZones = r.legalZones;
  if (!legalZones && r.source === 'campaign' && (legalHours(r.country) || !windows))
    legalZones = recipientZones(r.phone ?? null, null).zones;
  return { zones: r.zones, country: r.country, windows, ...(legalZones ? { legalZones } : {}) };
}

/** A stored recipient's rule (its row keeps the zones comma-separated, and where they came from). */
export function recipientRule(
  r: { timezones: string; country: string | null; phone?: string | null; timezone_source: string },
  windows: CallingWindow[] | null,
): WindowRule {
  return ruleFor({ ...r, zones: r.timezones.split(','), source: r.timezone_source }, windows);
}

/**
 * Until when a dial due at `at` must wait: null when the window is open, else its next opening
 * (`at` itself when it never opens: the pass then expires the recipient).
 */
export function closedUntil(rule: WindowRule, at: Date): Date | null {
  if (isOpen(rule, at)) return null;
  return nextOpening(rule, at) ?? at;
}

/** A key under which recipients with the same rule share one computed opening. */
export function ruleKey(rule: WindowRule): string {
  return `${rule.zones.join(',')}|${rule.country}|${rule.legalZones?.join(',') ?? ''}`;
}
