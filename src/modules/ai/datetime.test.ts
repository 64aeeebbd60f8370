import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWhen, weekdayMentioned } from './datetime.ts';

// Sunday 10 May 2026, 09:00 in Kolkata.
const now = new Date('2026-05-10T03:30:00Z');
const tz = 'Asia/Kolkata';
const when = (s: string) => parseWhen(s, { now, timezone: tz });

describe('parseWhen', () => {
  it('reads English dates and times', () => {
    assert.deepEqual(pick(when('tomorrow at 3pm')), ['2026-05-11', '15:00']);
    assert.deepEqual(pick(when('Can I come next monday at 4:30 pm?')), ['2026-05-11', '16:30']);
    assert.deepEqual(pick(when('day after tomorrow at 10am')), ['2026-05-12', '10:00']);
    assert.deepEqual(pick(when('book me for 12 may at 5')), ['2026-05-12', '17:00']);
  });
  it('reads Hinglish', () => {
    assert.deepEqual(pick(when('kal 3 baje')), ['2026-05-11', '15:00']);
    assert.deepEqual(pick(when('parso subah 11 baje')), ['2026-05-12', '11:00']);
    assert.deepEqual(pick(when('aaj shaam 6 baje')), ['2026-05-10', '18:00']);
    assert.deepEqual(pick(when('kal saade 4 baje aana hai')), ['2026-05-11', '16:30']);
    assert.deepEqual(pick(when('shanivar ko paune 5 baje')), ['2026-05-16', '16:45']);
    assert.deepEqual(pick(when('kal dopahar 1 baje')), ['2026-05-11', '13:00']);
  });
  it('keeps a date without a time, and a time alone means the next such time', () => {
    assert.deepEqual(pick(when('kal ka appointment')), ['2026-05-11', null]);
    assert.deepEqual(pick(when('at 8am')), ['2026-05-11', '08:00']);
    assert.deepEqual(pick(when('at 11am')), ['2026-05-10', '11:00']);
  });
  it('answers null when there is no date or time', () => {
    assert.equal(when('what is the price of a haircut'), null);
    assert.equal(when(''), null);
  });
  it('names the weekday asked about', () => {
    assert.equal(weekdayMentioned('Bhai, aapka salon Sunday ko open hai?', now, tz)?.key, 'sun');
    assert.equal(weekdayMentioned('kal khula hai?', now, tz)?.key, 'mon');
    assert.equal(weekdayMentioned('are you open on sat', now, tz)?.key, 'sat');
    assert.equal(weekdayMentioned('what are your timings', now, tz), null);
  });
});

function pick(w: ReturnType<typeof parseWhen>) {
  return w ? [w.date, w.time] : null;
}
