/**
 * Routing's pure decisions as units, with no server and no storage: who gets the next conversation
 * of a team (`pickMember`, every rule and tie), and reply timers counted in business hours
 * (`isOpen`, `nextOpening`, `addBusinessMinutes`) across nights, weekends, holidays and a change
 * of daylight saving time; and which SLA policy covers a conversation, from when its targets count,
 * and whether a fired SLA timer still breaches. How a team's queue is given out (`drainPlan`):
 * oldest first, nobody over capacity (test/conversations/routing.test.ts keeps a burst of 200
 * handoffs over HTTP for the lock and the dispatch job).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoutingMember, RoutingTeam, TeamRule } from '../../users/index.ts';
import type { ConversationRow } from '../conversations.tables.ts';
import { drainPlan, pickMember } from './assign.ts';
import { addBusinessMinutes, isOpen, nextOpening, type OpeningHours } from './hours.ts';
import { slaMatches, slaStart, stillDue } from './sla.service.ts';

const member = (id: string, over: Partial<RoutingMember> = {}): RoutingMember => ({
  id,
  availability: 'online',
  capacity: null,
  ...over,
});

const team = (members: RoutingMember[], rule: Partial<TeamRule> = {}, rrCursor: string | null = null) =>
  ({
    id: 'tm_1',
    rule: { mode: 'round_robin', only_online: true, max_per_user: null, ...rule },
    rrCursor,
    members,
  }) satisfies RoutingTeam;

const load = (entries: Record<string, number> = {}) => new Map(Object.entries(entries));

describe('pickMember: who gets the next conversation of a team', () => {
  it('gives nothing under a manual rule, whoever is free', () => {
    assert.equal(pickMember(team([member('us_a')], { mode: 'manual' }), load()), undefined);
  });

  it('round robin: the member after the last given, in id order, wrapping around', () => {
    const members = [member('us_c'), member('us_a'), member('us_b')];
    assert.equal(pickMember(team(members, {}, null), load()), 'us_a');
    assert.equal(pickMember(team(members, {}, 'us_a'), load()), 'us_b');
    assert.equal(pickMember(team(members, {}, 'us_b'), load()), 'us_c');
    assert.equal(pickMember(team(members, {}, 'us_c'), load()), 'us_a');
    // A cursor on a member who left the team still moves on to the next id.
    assert.equal(pickMember(team(members, {}, 'us_bb'), load()), 'us_c');
  });

  it('round robin ignores load; balanced gives the fewest open, ties rotating after the cursor', () => {
    const members = [member('us_a'), member('us_b'), member('us_c')];
    const open = load({ us_a: 3, us_b: 1, us_c: 1 });
    assert.equal(pickMember(team(members, {}, 'us_a'), open), 'us_b');
    assert.equal(pickMember(team(members, { mode: 'balanced' }, null), open), 'us_b');
    assert.equal(pickMember(team(members, { mode: 'balanced' }, 'us_b'), open), 'us_c');
    assert.equal(pickMember(team(members, { mode: 'balanced' }, 'us_c'), open), 'us_b');
    // A member missing from the load map has no open conversation.
    assert.equal(pickMember(team(members, { mode: 'balanced' }), load({ us_a: 1, us_b: 1 })), 'us_c');
  });

  it('skips members at capacity, and gives nothing when everyone is full', () => {
    const members = [member('us_a', { capacity: 2 }), member('us_b', { capacity: 1 })];
    assert.equal(pickMember(team(members), load({ us_a: 2, us_b: 0 })), 'us_b');
    assert.equal(pickMember(team(members), load({ us_a: 2, us_b: 1 })), undefined);
    assert.equal(pickMember(team(members, { mode: 'balanced' }), load({ us_a: 1, us_b: 1 })), 'us_a');
  });

  it('busy members never take; offline ones only when the team does not require online', () => {
    const members = [member('us_a', { availability: 'busy' }), member('us_b', { availability: 'offline' })];
    assert.equal(pickMember(team(members), load()), undefined);
    assert.equal(pickMember(team(members, { only_online: false }), load()), 'us_b');
  });

  it('leaves out the excluded (a reassignment after a timeout), even when they are the only one free', () => {
    const members = [member('us_a'), member('us_b')];
    assert.equal(pickMember(team(members), load(), new Set(['us_a'])), 'us_b');
    assert.equal(pickMember(team(members), load(), new Set(['us_a', 'us_b'])), undefined);
  });
});

describe('pickMember: ties and full teams', () => {
  it('balanced: a tie among the least loaded goes to the first id after the cursor, skipping the busier', () => {
    const members = [member('us_a'), member('us_b'), member('us_c'), member('us_d')];
    const open = load({ us_a: 0, us_b: 2, us_c: 0, us_d: 0 });
    assert.equal(pickMember(team(members, { mode: 'balanced' }, 'us_a'), open), 'us_c');
    assert.equal(pickMember(team(members, { mode: 'balanced' }, 'us_c'), open), 'us_d');
    assert.equal(pickMember(team(members, { mode: 'balanced' }, 'us_d'), open), 'us_a', 'wraps around');
  });

  it('a team with no members, or everyone offline, gives nothing', () => {
    assert.equal(pickMember(team([]), load()), undefined);
    assert.equal(pickMember(team([], { mode: 'balanced', only_online: false }), load()), undefined);
    const away = [member('us_a', { availability: 'offline' }), member('us_b', { availability: 'offline' })];
    assert.equal(pickMember(team(away), load()), undefined);
    assert.equal(pickMember(team(away, { mode: 'balanced' }), load()), undefined);
  });

  it('a member over capacity (lowered while holding more) takes nothing; capacity null is no limit', () => {
    const members = [member('us_a', { capacity: 1 }), member('us_b')];
    assert.equal(pickMember(team(members), load({ us_a: 4, us_b: 50 }), new Set()), 'us_b');
    assert.equal(pickMember(team(members, { mode: 'balanced' }), load({ us_a: 4, us_b: 50 })), 'us_b');
  });
});

const queued = (count: number, takenFrom: Record<number, string> = {}) =>
  Array.from({ length: count }, (_, i) => ({
    id: `cv_${String(i).padStart(3, '0')}`,
    handoff_taken_from: takenFrom[i] ?? null,
  }));

describe('drainPlan: a team queue given out while members have room', () => {
  it('200 waiting, 5 members of capacity 3 (balanced): the first 15 in queue order, 3 each', () => {
    const ids = ['us_1', 'us_2', 'us_3', 'us_4', 'us_5'];
    const open = load();
    const waiting = queued(200);
    const plan = drainPlan(
      team(
        ids.map((id) => member(id, { capacity: 3 })),
        { mode: 'balanced' },
      ),
      open,
      waiting,
    );
    assert.deepEqual(
      plan.map((p) => p.row.id),
      waiting.slice(0, 15).map((r) => r.id),
      'oldest first, none skipped',
    );
    for (const id of ids) assert.equal(open.get(id), 3, `${id} has exactly 3`);
    // Balanced spreads them: each round of five goes to each member once.
    assert.deepEqual(
      plan.slice(0, 5).map((p) => p.userId),
      ids,
    );
  });

  it('one freed place gives the head of the queue to the member who freed it', () => {
    const members = ['us_1', 'us_2'].map((id) => member(id, { capacity: 3 }));
    const plan = drainPlan(team(members, { mode: 'balanced' }), load({ us_1: 3, us_2: 2 }), queued(10));
    assert.deepEqual(
      plan.map((p) => [p.row.id, p.userId]),
      [['cv_000', 'us_2']],
    );
  });

  it('round robin moves its cursor on with each conversation it gives', () => {
    const members = ['us_a', 'us_b', 'us_c'].map((id) => member(id));
    const plan = drainPlan(team(members, {}, 'us_b'), load(), queued(4));
    assert.deepEqual(
      plan.map((p) => p.userId),
      ['us_c', 'us_a', 'us_b', 'us_c'],
    );
  });

  it('a conversation is not given back to whom a reassignment took it from: it waits, the queue goes on', () => {
    const members = [member('us_a', { capacity: 1 }), member('us_b', { capacity: 5 })];
    const waiting = queued(3, { 0: 'us_b' });
    const open = load({ us_b: 4 });
    const plan = drainPlan(team(members, { mode: 'balanced' }), open, waiting);
    // cv_000 goes to us_a (not us_b); us_a is then full and cv_001 goes to us_b, who is then full.
    assert.deepEqual(
      plan.map((p) => [p.row.id, p.userId]),
      [
        ['cv_000', 'us_a'],
        ['cv_001', 'us_b'],
      ],
    );
    // Only us_b has room, and cv_000 was taken from us_b: skipped, the next one is given.
    const skipped = drainPlan(team(members, { mode: 'balanced' }), load({ us_a: 1 }), waiting);
    assert.deepEqual(
      skipped.map((p) => [p.row.id, p.userId]),
      [
        ['cv_001', 'us_b'],
        ['cv_002', 'us_b'],
      ],
    );
  });

  it('gives nothing when everyone is full, offline, or the rule is manual', () => {
    const full = [member('us_a', { capacity: 1 })];
    assert.deepEqual(drainPlan(team(full), load({ us_a: 1 }), queued(3)), []);
    const away = [member('us_a', { availability: 'offline' })];
    assert.deepEqual(drainPlan(team(away), load(), queued(3)), []);
    assert.deepEqual(drainPlan(team([member('us_a')], { mode: 'manual' }), load(), queued(3)), []);
    assert.deepEqual(drainPlan(team([member('us_a')]), load(), []), []);
  });
});

/** Monday to Friday 09:00-13:00 and 14:00-18:00 in Berlin; 2026-12-25 a holiday. */
const berlin: OpeningHours = {
  timezone: 'Europe/Berlin',
  hours: Object.fromEntries(
    ['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [
      d,
      [
        { open: '09:00', close: '13:00' },
        { open: '14:00', close: '18:00' },
      ],
    ]),
  ),
  holidays: ['2026-12-25'],
};
const at = (iso: string) => new Date(iso);

describe('business hours: open, next opening, reply timers', () => {
  it('is open inside a span, closed at lunch, at night, on weekends and holidays', () => {
    assert.equal(isOpen(berlin, at('2026-11-25T09:00:00+01:00')), true); // Wednesday, opening minute
    assert.equal(isOpen(berlin, at('2026-11-25T13:30:00+01:00')), false); // lunch
    assert.equal(isOpen(berlin, at('2026-11-25T18:00:00+01:00')), false); // closing minute is closed
    assert.equal(isOpen(berlin, at('2026-11-28T11:00:00+01:00')), false); // Saturday
    assert.equal(isOpen(berlin, at('2026-12-25T11:00:00+01:00')), false); // holiday (a Friday)
  });

  it('the next opening is now when open, after lunch, and after a weekend or a holiday', () => {
    const iso = (d: Date | null) => d?.toISOString();
    assert.equal(iso(nextOpening(berlin, at('2026-11-25T10:00:00+01:00'))), '2026-11-25T09:00:00.000Z');
    assert.equal(iso(nextOpening(berlin, at('2026-11-25T13:10:00+01:00'))), '2026-11-25T13:00:00.000Z');
    assert.equal(iso(nextOpening(berlin, at('2026-11-27T19:00:00+01:00'))), '2026-11-30T08:00:00.000Z');
    assert.equal(iso(nextOpening(berlin, at('2026-12-24T18:30:00+01:00'))), '2026-12-28T08:00:00.000Z');
    assert.equal(nextOpening({ ...berlin, hours: {} }, at('2026-11-25T10:00:00Z')), null);
  });

  it('counts reply minutes in opening time only: across lunch, the night and the weekend', () => {
    const iso = (d: Date) => d.toISOString();
    // 30 minutes from 12:45: 15 before lunch, 15 after it.
    assert.equal(
      iso(addBusinessMinutes(berlin, at('2026-11-25T12:45:00+01:00'), 30)),
      '2026-11-25T13:15:00.000Z',
    );
    // 60 minutes from Friday 17:30: 30 on Friday, 30 on Monday morning.
    assert.equal(
      iso(addBusinessMinutes(berlin, at('2026-11-27T17:30:00+01:00'), 60)),
      '2026-11-30T08:30:00.000Z',
    );
    // Asked at night, the clock starts at the next opening.
    assert.equal(
      iso(addBusinessMinutes(berlin, at('2026-11-25T22:00:00+01:00'), 10)),
      '2026-11-26T08:10:00.000Z',
    );
    // No opening hours at all: plain minutes rather than never.
    assert.equal(
      iso(addBusinessMinutes({ ...berlin, hours: {} }, at('2026-11-25T22:00:00Z'), 10)),
      '2026-11-25T22:10:00.000Z',
    );
  });

  it('keeps local opening times across the change to summer time (Berlin, 2027-03-28)', () => {
    // Friday 26 March 17:50 CET + 20 business minutes: 10 on Friday, 10 on Monday 09:00 CEST (07:00Z).
    assert.equal(
      addBusinessMinutes(berlin, at('2027-03-26T17:50:00+01:00'), 20).toISOString(),
      '2027-03-29T07:10:00.000Z',
    );
  });
});

const conversation = (over: Partial<ConversationRow> = {}) =>
  ({
    channel: 'whatsapp',
    priority: 'normal',
    tags: '["vip","refund"]',
    status: 'active',
    created_at: '2026-11-25T09:00:00.000Z',
    ai_paused: 0,
    handoff_at: null,
    first_response_at: null,
    first_response_due_at: null,
    next_response_due_at: null,
    resolution_due_at: null,
    ...over,
  }) as ConversationRow;

describe('SLA: which policy covers a conversation, and when a timer still breaches', () => {
  it('matches on channel, priority and any tag (case-insensitive); an empty list matches anything', () => {
    const row = conversation();
    assert.equal(slaMatches({}, row), true);
    assert.equal(slaMatches({ channels: [], priorities: [], tags: [] }, row), true);
    assert.equal(slaMatches({ channels: ['sms', 'whatsapp'] }, row), true);
    assert.equal(slaMatches({ channels: ['email'] }, row), false);
    assert.equal(slaMatches({ priorities: ['urgent', 'high'] }, row), false);
    assert.equal(slaMatches({ tags: ['VIP'] }, row), true);
    assert.equal(slaMatches({ tags: ['billing'] }, row), false);
    // Every condition must hold.
    assert.equal(slaMatches({ channels: ['whatsapp'], priorities: ['urgent'], tags: ['vip'] }, row), false);
  });

  it("counts from the conversation's start when the AI's replies count, else from the handoff only", () => {
    const row = conversation();
    assert.equal(slaStart({ counts_ai_replies: 1 }, row), row.created_at);
    // An AI-only chat never breaches a people-only policy.
    assert.equal(slaStart({ counts_ai_replies: 0 }, row), null);
    const handedOff = conversation({ ai_paused: 1, handoff_at: '2026-11-25T09:05:00.000Z' });
    assert.equal(slaStart({ counts_ai_replies: 0 }, handedOff), '2026-11-25T09:05:00.000Z');
  });

  it('a fired timer breaches only the due time it was armed for, and nothing once resolved', () => {
    const due = '2026-11-25T09:30:00.000Z';
    assert.equal(stillDue(conversation({ first_response_due_at: due }), 'first_response', due), true);
    // Answered in time, or re-armed for a later due time: the old timer is moot.
    assert.equal(
      stillDue(
        conversation({ first_response_due_at: due, first_response_at: '2026-11-25T09:10:00.000Z' }),
        'first_response',
        due,
      ),
      false,
    );
    assert.equal(
      stillDue(conversation({ next_response_due_at: '2026-11-25T10:00:00.000Z' }), 'next_response', due),
      false,
    );
    assert.equal(stillDue(conversation({ resolution_due_at: due }), 'resolution', due), true);
    assert.equal(
      stillDue(conversation({ resolution_due_at: due, status: 'closed' }), 'resolution', due),
      false,
    );
  });
});
