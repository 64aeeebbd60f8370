import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sentences, speakable } from './speech-text.ts';

describe('speakable: a chat answer as a person says it', () => {
  it('drops markdown and reads links, amounts and clock times aloud', () => {
    assert.equal(
      speakable('**Haircut**: ₹500 (see https://glow.in/prices)'),
      'Haircut: 500 rupees (see the link we will send you)',
    );
    assert.equal(speakable('- Facial\n- Manicure'), 'Facial. Manicure');
    assert.equal(speakable('We open at 10:00 and close at 19:30.'), 'We open at 10 AM and close at 7 30 PM.');
    assert.equal(speakable('20% off & free tea'), '20 percent off and free tea');
    assert.equal(speakable('Open 09:30 AM, last entry 18:00hrs'), 'Open 09:30 AM, last entry 6 PM');
  });

  it('says opening hours in words: days in full, ranges with "to"', () => {
    assert.equal(
      speakable('Our opening hours: Mon 10 AM–7 PM; Tue closed; Sun closed.'),
      'Our opening hours: Monday 10 AM to 7 PM; Tuesday closed; Sunday closed.',
    );
    assert.equal(speakable('Mon–Sat 10:00–19:00'), 'Monday to Saturday 10 AM to 7 PM');
    assert.equal(speakable('Open Sat, Sun: 9 AM - 1 PM'), 'Open Saturday, Sunday: 9 AM to 1 PM');
    // Not a day, not a range: left alone.
    assert.equal(speakable('Call 98100-12345 on a Sunny day'), 'Call 98100-12345 on a Sunny day');
    assert.equal(speakable('We are closed on Sun.'), 'We are closed on Sunday.');
  });
});

describe('sentences', () => {
  it('splits on sentence ends, Devanagari danda included', () => {
    assert.deepEqual(sentences('Hello. How are you? Fine!'), ['Hello.', 'How are you?', 'Fine!']);
    assert.deepEqual(sentences('नमस्ते। आप कैसे हैं?'), ['नमस्ते।', 'आप कैसे हैं?']);
  });
});
