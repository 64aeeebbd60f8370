import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CaptureSpec, readCapture } from './capture.ts';

// Monday 2026-06-01, 10:00 in India.
const c = { now: new Date('2026-06-01T04:30:00Z'), timezone: 'Asia/Kolkata', defaultCountry: 'IN' };
const read = (spec: Omit<CaptureSpec, 'var'>, text: string) => readCapture({ var: 'v', ...spec }, text, c);

describe('voice flow captures', () => {
  it('yes/no in English and Hinglish; neither is no match', () => {
    for (const t of ['yes', 'Yeah sure', 'haan ji', 'bilkul', 'theek hai', 'ok, I will come'])
      assert.equal(read({ kind: 'yes_no' }, t), 'yes', t);
    for (const t of ['no', 'nahi', 'nahin yaar', 'not now', 'nope'])
      assert.equal(read({ kind: 'yes_no' }, t), 'no', t);
    for (const t of ['purple', 'what is this about', '']) assert.equal(read({ kind: 'yes_no' }, t), null, t);
  });

  it('a choice by its value or a synonym; two different choices said is no match', () => {
    const choices = [
      { value: 'haircut', synonyms: ['hair cut', 'baal katwana'] },
      { value: 'facial', synonyms: ['face'] },
    ];
    assert.equal(read({ kind: 'choice', choices }, 'I want a hair cut please'), 'haircut');
    assert.equal(read({ kind: 'choice', choices }, 'mujhe baal katwana hai'), 'haircut');
    assert.equal(read({ kind: 'choice', choices }, 'FACIAL'), 'facial');
    assert.equal(read({ kind: 'choice', choices }, 'haircut and facial'), null);
    assert.equal(read({ kind: 'choice', choices }, 'massage'), null);
  });

  it('digits spoken or written, within the length bounds', () => {
    assert.equal(read({ kind: 'digits' }, 'four two one'), '421');
    assert.equal(read({ kind: 'digits' }, 'ek do teen chaar'), '1234');
    assert.equal(read({ kind: 'digits' }, 'double five 7'), '557');
    assert.equal(read({ kind: 'digits', min_length: 4 }, '12'), null);
    assert.equal(read({ kind: 'digits', max_length: 3 }, '12345'), null);
  });

  it('numbers in digits or words', () => {
    assert.equal(read({ kind: 'number' }, 'about 2,500 rupees'), 2500);
    assert.equal(read({ kind: 'number' }, 'twenty five'), 25);
    assert.equal(read({ kind: 'number' }, 'two thousand three hundred'), 2300);
    assert.equal(read({ kind: 'number' }, 'do hazaar'), 2000);
    assert.equal(read({ kind: 'number' }, '3 lakh'), 300000);
    assert.equal(read({ kind: 'number' }, 'no idea'), null);
  });

  it('dates and times in English and Hinglish, in the flow timezone', () => {
    assert.equal(read({ kind: 'datetime' }, 'kal 3 baje'), '2026-06-02T15:00+05:30');
    assert.equal(read({ kind: 'datetime' }, 'tomorrow at 11 am'), '2026-06-02T11:00+05:30');
    assert.equal(read({ kind: 'datetime' }, 'parso subah 11 baje'), '2026-06-03T11:00+05:30');
    assert.equal(read({ kind: 'datetime' }, 'next friday'), '2026-06-05');
    assert.equal(read({ kind: 'datetime' }, 'whenever'), null);
  });

  it('phones, emails, free text and intents', () => {
    assert.equal(
      read({ kind: 'phone' }, 'nine eight seven six five four three two one zero'),
      '+919876543210',
    );
    assert.equal(read({ kind: 'phone' }, '+1 415 555 0100'), '+14155550100');
    assert.equal(read({ kind: 'phone' }, 'one two'), null);
    assert.equal(read({ kind: 'email' }, 'asha dot rao at example dot com'), 'asha.rao@example.com');
    assert.equal(read({ kind: 'email' }, 'it is Asha@Example.com'), 'asha@example.com');
    assert.equal(read({ kind: 'email' }, 'no email'), null);
    assert.equal(read({ kind: 'text' }, '  anything at all '), 'anything at all');
    assert.equal(read({ kind: 'intent' }, 'I want to talk to a real person'), 'human');
    assert.equal(read({ kind: 'intent' }, 'mujhe appointment cancel karna hai'), 'cancel');
    assert.equal(
      read({ kind: 'intent', choices: [{ value: 'renew', synonyms: ['extend'] }] }, 'please extend my plan'),
      'renew',
    );
  });
});
