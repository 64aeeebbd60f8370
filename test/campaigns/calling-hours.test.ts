import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOpen, nextOpening, ruleFor, zonesFor } from '../../src/modules/campaigns/windows.ts';

/**
 * The law's calling hours (TRAI for Indian numbers, TCPA for US and Canadian ones) are read in
 * the recipient's own time, whatever zone a campaign writes its windows in (SPEC: calling windows
 * are honoured in the recipient's own timezone). Fixed clocks, no database.
 */

const IN = '+919876543210';
const US_NY = '+12125550123';
const everyDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const allDay = [{ days: [...everyDay], start: '00:00', end: '23:59' }];

/** A recipient row as the campaign stores it (zones = the campaign's own zone), read back. */
function storedRule(phone: string, campaignZone: string, windows: typeof allDay | null) {
  const z = zonesFor(phone, undefined, campaignZone);
  // What the row keeps: phone, timezones, timezone_source, country (not the own zones).
  return ruleFor({ zones: z.zones, country: z.country, phone, source: z.source }, windows);
}

const istHour = (d: Date) => ((d.getUTCHours() * 60 + d.getUTCMinutes() + 330) / 60) % 24;

describe('legal calling hours in the recipient own time', () => {
  it('a campaign in UTC calls an Indian number at 10:58 IST (05:28 UTC) at once, with or without windows', () => {
    const now = new Date('2026-11-23T05:28:00Z');
    for (const windows of [null, allDay]) {
      for (const rule of [ruleFor(zonesFor(IN, undefined, 'UTC'), windows), storedRule(IN, 'UTC', windows)]) {
        assert.equal(isOpen(rule, now), true, JSON.stringify(rule));
        assert.equal(nextOpening(rule, now)?.toISOString(), now.toISOString());
      }
    }
  });

  it('a campaign in UTC does not call an Indian number at 08:30 IST (03:00 UTC): it waits for 09:00 IST', () => {
    const now = new Date('2026-11-23T03:00:00Z');
    const rule = storedRule(IN, 'UTC', allDay);
    assert.equal(isOpen(rule, now), false);
    assert.equal(nextOpening(rule, now)?.toISOString(), '2026-11-23T03:30:00.000Z');
  });

  it('a campaign in America/New_York never calls India at night, only where both times allow', () => {
    const windows = [{ days: [...everyDay], start: '09:00', end: '21:00' }];
    const rule = storedRule(IN, 'America/New_York', windows);
    const start = Date.parse('2026-11-23T00:00:00Z');
    let open = 0;
    for (let t = start; t < start + 7 * 86_400_000; t += 10 * 60_000) {
      const at = new Date(t);
      if (!isOpen(rule, at)) continue;
      open++;
      const h = istHour(at);
      assert.ok(h >= 9 && h < 21, `called India at ${h.toFixed(2)} IST (${at.toISOString()})`);
    }
    assert.ok(open > 0, 'the overlap (19:30-21:00 IST) is open');
    // From 02:00 UTC (07:30 IST, 21:00 in New York) the next opening is 09:00 New York = 19:30 IST.
    assert.equal(
      nextOpening(rule, new Date('2026-11-23T02:00:00Z'))?.toISOString(),
      '2026-11-23T14:00:00.000Z',
    );
  });

  it('a campaign in Asia/Kolkata keeps the TCPA hours of a New York number (08:00-21:00 Eastern)', () => {
    const rule = storedRule(US_NY, 'Asia/Kolkata', allDay);
    // 03:00 in New York is 13:30 in India: the campaign's window is open, the law's is not.
    assert.equal(isOpen(rule, new Date('2026-11-23T08:00:00Z')), false);
    assert.equal(
      nextOpening(rule, new Date('2026-11-23T08:00:00Z'))?.toISOString(),
      '2026-11-23T13:00:00.000Z',
    );
  });

  it('the contact own timezone, when given, is where the law is read', () => {
    const z = zonesFor(US_NY, 'America/Los_Angeles', 'UTC');
    assert.deepEqual(z.legalZones, ['America/Los_Angeles']);
    const rule = ruleFor(z, allDay);
    // 12:00 UTC = 07:00 New York, 04:00 Los Angeles: closed; 16:00 UTC = 08:00 Los Angeles: open.
    assert.equal(isOpen(rule, new Date('2026-11-23T12:00:00Z')), false);
    assert.equal(
      nextOpening(rule, new Date('2026-11-23T12:00:00Z'))?.toISOString(),
      '2026-11-23T16:00:00.000Z',
    );
  });
});
