/**
 * The decisions behind a conversation's timers, as units with a fixed clock (no server, no
 * storage): when a reply timer or an SLA target is due in business hours (nights, hours across
 * midnight, both changes of daylight saving time), what a handoff's start tells the customer, what
 * a reply timeout does, whether a fired timer still stands, and which events make a timer moot.
 * test/conversations/handoff-policy.test.ts, sla.test.ts and timers-cancel.test.ts run the same
 * over HTTP with the job queue, on both storages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParleyEvent } from '../../../platform/events.ts';
import type { ConversationRow } from '../conversations.tables.ts';
import { dueAt, handoffStart, handoffTimerStands, timeoutAction } from './handoff.timer.ts';
import { addBusinessMinutes, isOpen, nextOpening, type OpeningHours } from './hours.ts';
import { DEFAULT_HANDOFF_POLICY, type HandoffPolicy } from './policy.schemas.ts';
import { slaDue, slaTargets } from './sla.service.ts';
import { conversationOf, handoffRef, stillWanted } from './timers.ts';

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;
const allDay = [{ open: '00:00', close: '24:00' }];
const hoursOf = (timezone: string, hours: OpeningHours['hours'], holidays: string[] = []): OpeningHours => ({
  timezone,
  hours,
  holidays,
});

describe('business hours at the edges: midnight and daylight saving time', () => {
  // A night desk in Kolkata: Monday 22:00 to Tuesday 06:00, written as two spans.
  const night = hoursOf('Asia/Kolkata', {
    mon: [{ open: '22:00', close: '24:00' }],
    tue: [{ open: '00:00', close: '06:00' }],
  });

  it('hours across midnight count on without a gap; the closing minute is closed', () => {
    // Monday 23:30 + 60 minutes: 30 before midnight, 30 after it.
    assert.equal(
      iso(addBusinessMinutes(night, at('2026-11-23T23:30:00+05:30'), 60)),
      '2026-11-23T19:00:00.000Z',
    );
    assert.equal(isOpen(night, at('2026-11-24T00:00:00+05:30')), true);
    assert.equal(isOpen(night, at('2026-11-24T06:00:00+05:30')), false);
    // Tuesday 07:00: the desk next opens on Monday 22:00.
    assert.equal(iso(nextOpening(night, at('2026-11-24T07:00:00+05:30'))), '2026-11-30T16:30:00.000Z');
  });

  it('open every day 00:00-24:00 is always open; a holiday in the middle is skipped whole', () => {
    const always = hoursOf(
      'Asia/Kolkata',
      Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, allDay])),
      ['2026-05-11', '2026-05-12'],
    );
    assert.equal(isOpen(always, at('2026-05-10T23:59:00+05:30')), true);
    assert.equal(isOpen(always, at('2026-05-11T11:30:00+05:30')), false);
    // The holiday case of handoff-policy.test.ts: the next opening is Wednesday 13 May 00:00 IST.
    assert.equal(iso(nextOpening(always, at('2026-05-11T06:00:00Z'))), '2026-05-12T18:30:00.000Z');
    // Ten minutes before the holidays, plus 30: 10 on Sunday, 20 on Wednesday.
    assert.equal(
      iso(addBusinessMinutes(always, at('2026-05-10T23:50:00+05:30'), 30)),
      '2026-05-12T18:50:00.000Z',
    );
  });

  it('the day summer time ends, 01:00-04:00 lasts four real hours (Berlin, 2026-10-25)', () => {
    const sunday = hoursOf('Europe/Berlin', { sun: [{ open: '01:00', close: '04:00' }] });
    // 01:00 CEST is 23:00Z; 04:00 CET is 03:00Z.
    assert.equal(
      iso(addBusinessMinutes(sunday, at('2026-10-24T23:00:00Z'), 210)),
      '2026-10-25T02:30:00.000Z',
    );
    assert.equal(
      iso(addBusinessMinutes(sunday, at('2026-10-24T23:00:00Z'), 240)),
      '2026-10-25T03:00:00.000Z',
    );
  });

  it('the day summer time starts, 01:00-04:00 lasts two; an opening in the skipped hour moves past it', () => {
    const sunday = hoursOf('Europe/Berlin', { sun: [{ open: '01:00', close: '04:00' }] });
    // 01:00 CET is 00:00Z; 04:00 CEST is 02:00Z.
    assert.equal(iso(addBusinessMinutes(sunday, at('2027-03-28T00:00:00Z'), 90)), '2027-03-28T01:30:00.000Z');
    // 150 minutes: the two hours of that Sunday, then 30 minutes of the next (01:00 CEST = 23:00Z).
    assert.equal(
      iso(addBusinessMinutes(sunday, at('2027-03-28T00:00:00Z'), 150)),
      '2027-04-03T23:30:00.000Z',
    );
    // 02:30 does not exist that night: the business opens at 03:30 CEST.
    const gap = hoursOf('Europe/Berlin', { sun: [{ open: '02:30', close: '04:00' }] });
    assert.equal(iso(nextOpening(gap, at('2027-03-27T12:00:00Z'))), '2027-03-28T01:30:00.000Z');
  });
});

const policy = (over: Partial<HandoffPolicy> = {}): HandoffPolicy => ({ ...DEFAULT_HANDOFF_POLICY, ...over });
/** Monday to Friday 10:00-18:00 in Kolkata. */
const office = hoursOf(
  'Asia/Kolkata',
  Object.fromEntries(
    ['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ open: '10:00', close: '18:00' }]]),
  ),
);
const monday1130 = at('2026-05-11T06:00:00Z');
const friday1750 = at('2026-05-15T12:20:00Z');

describe('a handoff: its reply timer, its notice and its timeout', () => {
  it('the reply timer runs plain minutes without hours, opening minutes with them', () => {
    assert.equal(iso(dueAt(null, friday1750, 30)), '2026-05-15T12:50:00.000Z');
    // Friday 17:50 + 30 opening minutes: 10 on Friday, 20 from Monday 10:00.
    assert.equal(iso(dueAt(office, friday1750, 30)), '2026-05-18T04:50:00.000Z');
  });

  it('a new handoff is announced, unless the AI made it (its own reply says so)', () => {
    assert.deepEqual(handoffStart(office, policy(), monday1130, true, false), {
      notice: { outOfHours: null },
      aiContinues: false,
    });
    assert.deepEqual(handoffStart(office, policy(), monday1130, true, true), {
      notice: null,
      aiContinues: false,
    });
    // Routed again (not a new handoff) in hours: nothing to tell.
    assert.deepEqual(handoffStart(office, policy(), monday1130, false, false), {
      notice: null,
      aiContinues: false,
    });
    // No hours at all: never out of hours.
    assert.equal(handoffStart(null, policy(), at('2026-05-16T20:00:00Z'), false, false).notice, null);
  });

  it('out of hours the customer hears the next opening and the AI keeps helping (unless the policy says not)', () => {
    const saturday = at('2026-05-16T06:00:00Z');
    const start = handoffStart(
      office,
      policy({ out_of_hours: { message: 'Back {{next_opening}}', ai_continues: true } }),
      saturday,
      false,
      false,
    );
    assert.deepEqual(start.notice?.outOfHours, {
      nextOpening: '2026-05-18T04:30:00.000Z',
      timezone: 'Asia/Kolkata',
      text: 'Back {{next_opening}}',
    });
    assert.equal(start.aiContinues, true);
    const quiet = handoffStart(
      office,
      policy({ out_of_hours: { message: null, ai_continues: false } }),
      saturday,
      true,
      false,
    );
    assert.equal(quiet.aiContinues, false);
    assert.equal(quiet.notice?.outOfHours?.nextOpening, '2026-05-18T04:30:00.000Z');
    // Routed again out of hours (not a new handoff), though the AI made it: the notice goes out.
    assert.equal(
      handoffStart(office, policy(), saturday, false, true).notice?.outOfHours?.nextOpening,
      '2026-05-18T04:30:00.000Z',
    );
    // Made by the AI out of hours: its reply tells the customer (nothing queued), the AI still helps.
    assert.deepEqual(handoffStart(office, policy(), saturday, true, true), {
      notice: null,
      aiContinues: true,
    });
  });

  it('a timeout reassigns until max_reassignments, then only notifies; other actions as the policy says', () => {
    const reassign = policy({ on_timeout: 'reassign', max_reassignments: 1 });
    assert.deepEqual(timeoutAction(reassign, 0), { wanted: 'reassign', exhausted: false });
    assert.deepEqual(timeoutAction(reassign, 1), { wanted: 'notify', exhausted: true });
    assert.deepEqual(timeoutAction(policy({ on_timeout: 'reassign', max_reassignments: 0 }), 0), {
      wanted: 'notify',
      exhausted: true,
    });
    for (const action of ['ai_resume', 'callback', 'notify'] as const)
      assert.deepEqual(timeoutAction(policy({ on_timeout: action, max_reassignments: 0 }), 5), {
        wanted: action,
        exhausted: false,
      });
  });

  it('a fired reply timer stands only for the same open handoff, still waiting, in the same round', () => {
    const handoffAt = '2026-05-11T06:00:00.000Z';
    const row = {
      status: 'active' as const,
      handoff_at: handoffAt,
      waiting_since: handoffAt,
      handoff_reassignments: 1,
    };
    const fired = { handoffAt, round: 1 };
    assert.equal(handoffTimerStands(row, fired), true);
    assert.equal(handoffTimerStands({ ...row, waiting_since: null }, fired), false, 'a person replied');
    assert.equal(handoffTimerStands({ ...row, status: 'closed' }, fired), false, 'resolved');
    assert.equal(handoffTimerStands({ ...row, handoff_at: '2026-05-11T07:00:00.000Z' }, fired), false);
    assert.equal(handoffTimerStands(row, { handoffAt, round: 0 }), false, 'an earlier round acted already');
  });
});

const conversation = (over: Partial<ConversationRow> = {}) =>
  ({
    id: 'cv_1',
    status: 'active',
    created_at: '2026-05-11T06:00:00.000Z',
    handoff_at: null,
    handoff_reassignments: 0,
    waiting_since: null,
    snoozed_until: null,
    sla_policy_id: null,
    first_response_at: null,
    first_response_due_at: null,
    next_response_due_at: null,
    resolution_due_at: null,
    ...over,
  }) as ConversationRow;

describe('SLA targets: when each is due', () => {
  const standard = { counts_ai_replies: 1, first_response_minutes: 10, resolution_minutes: 60 };
  const plain = (from: Date, minutes: number) => slaDue(null, from, minutes);

  it("counts from the start: 10 and 60 minutes after the conversation's creation (sla.test.ts)", () => {
    const row = conversation();
    const t = slaTargets(standard, row, row.created_at, plain);
    assert.equal(t.firstAt, null);
    assert.equal(iso(t.first), '2026-05-11T06:10:00.000Z');
    assert.equal(iso(t.resolution), '2026-05-11T07:00:00.000Z');
  });

  it('no first response target once one was made; none for a target the policy leaves out', () => {
    const answered = conversation({ first_response_at: '2026-05-11T06:03:00.000Z' });
    const t = slaTargets(standard, answered, answered.created_at, plain);
    assert.equal(t.firstAt, '2026-05-11T06:03:00.000Z');
    assert.equal(t.first, null);
    const none = slaTargets(
      { counts_ai_replies: 1, first_response_minutes: null, resolution_minutes: null },
      answered,
      answered.created_at,
      plain,
    );
    assert.deepEqual([none.first, none.resolution], [null, null]);
  });

  it("a people-only policy's first response is a person's reply since the handoff, not before it", () => {
    const peopleOnly = { ...standard, counts_ai_replies: 0 };
    const handoff = '2026-05-11T08:00:00.000Z';
    const before = conversation({ first_response_at: '2026-05-11T06:03:00.000Z', handoff_at: handoff });
    const t = slaTargets(peopleOnly, before, handoff, plain);
    assert.equal(t.firstAt, null, 'an earlier reply does not meet it');
    assert.equal(iso(t.first), '2026-05-11T08:10:00.000Z');
    const after = conversation({ first_response_at: '2026-05-11T08:04:00.000Z', handoff_at: handoff });
    assert.equal(slaTargets(peopleOnly, after, handoff, plain).first, null);
  });

  it('in business hours: 10 minutes from Friday 17:50 is the closing minute, 60 run on to Monday 10:50', () => {
    const row = conversation({ created_at: iso(friday1750)! });
    const t = slaTargets(standard, row, row.created_at, (from, m) => slaDue(office, from, m));
    assert.equal(iso(t.first), '2026-05-15T12:30:00.000Z');
    assert.equal(iso(t.resolution), '2026-05-18T05:20:00.000Z');
  });
});

const event = (name: string, data: Record<string, unknown>) =>
  ({ event: name, workspace_id: 'ws_1', livemode: false, data }) as unknown as ParleyEvent;

describe('which timers are moot (cancelled in the transaction that makes them so)', () => {
  it("a person's reply, a resolve, a reopen and a handoff handed back name their conversation; the AI's reply does not", () => {
    assert.equal(
      conversationOf(event('message.sent', { conversation_id: 'cv_1', sender: { type: 'user' } })),
      'cv_1',
    );
    assert.equal(
      conversationOf(event('message.sent', { conversation_id: 'cv_1', sender: { type: 'api_key' } })),
      'cv_1',
    );
    assert.equal(
      conversationOf(event('message.sent', { conversation_id: 'cv_1', sender: { type: 'ai' } })),
      null,
    );
    assert.equal(conversationOf(event('message.received', { conversation_id: 'cv_1' })), null);
    for (const name of ['conversation.resolved', 'conversation.reopened', 'conversation.handoff_resolved'])
      assert.equal(conversationOf(event(name, { id: 'cv_1' })), 'cv_1', name);
    assert.equal(conversationOf(event('conversation.assigned', { id: 'cv_1' })), null);
  });

  it('a handoff timer waits while the same handoff and round wait on a person', () => {
    const handoffAt = '2026-05-11T06:00:00.000Z';
    const waiting = conversation({
      handoff_at: handoffAt,
      waiting_since: handoffAt,
      handoff_reassignments: 1,
    });
    assert.equal(stillWanted(waiting, 'handoff', handoffRef(handoffAt, 1)), true);
    assert.equal(stillWanted(waiting, 'handoff', handoffRef(handoffAt, 0)), false, 'the round before');
    assert.equal(
      stillWanted({ ...waiting, waiting_since: null }, 'handoff', handoffRef(handoffAt, 1)),
      false,
    );
    assert.equal(stillWanted({ ...waiting, status: 'closed' }, 'handoff', handoffRef(handoffAt, 1)), false);
  });

  it('SLA timers wait while their due time is the current one and unmet; a resolve ends them all', () => {
    const due = '2026-05-11T07:00:00.000Z';
    const row = conversation({
      sla_policy_id: 'sla_1',
      first_response_due_at: due,
      next_response_due_at: due,
      resolution_due_at: due,
    });
    for (const kind of ['sla:first_response', 'sla:next_response', 'sla:resolution'] as const) {
      assert.equal(stillWanted(row, kind, due), true, kind);
      assert.equal(stillWanted({ ...row, status: 'closed' }, kind, due), false, kind);
      assert.equal(stillWanted({ ...row, sla_policy_id: null }, kind, due), false, kind);
      assert.equal(stillWanted(row, kind, '2026-05-11T06:30:00.000Z'), false, `${kind} re-armed`);
    }
    // A person's reply meets the first response (the resolution still waits).
    const replied = { ...row, first_response_at: '2026-05-11T06:10:00.000Z' };
    assert.equal(stillWanted(replied, 'sla:first_response', due), false);
    assert.equal(stillWanted(replied, 'sla:resolution', due), true);
  });

  it('a snooze timer waits while the conversation is snoozed until that time, even after a resolve', () => {
    const until = '2026-05-11T08:00:00.000Z';
    const snoozed = conversation({ status: 'snoozed', snoozed_until: until });
    assert.equal(stillWanted(snoozed, 'snooze', until), true);
    assert.equal(stillWanted(snoozed, 'snooze', '2026-05-11T07:00:00.000Z'), false, 'snoozed again');
    assert.equal(stillWanted({ ...snoozed, status: 'active' }, 'snooze', until), false, 'reopened');
  });
});
