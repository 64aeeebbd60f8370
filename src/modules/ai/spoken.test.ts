import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractLeadFields } from './intents.ts';
import { leadNote } from './readback.ts';
import { joinSpokenDigits, normaliseSpoken, speakEmail, speakPhone } from './spoken.ts';

describe('recognised speech as the agent reads it', () => {
  it('joins three or more spoken digits into a number, and leaves small counts as words', () => {
    assert.equal(joinSpokenDigits('nine one five'), '915');
    assert.equal(
      normaliseSpoken('my number is nine eight one two three four five six seven zero'),
      'my number is 9812345670',
    );
    assert.equal(normaliseSpoken('it is double five four three two one'), 'it is 554321');
    assert.equal(normaliseSpoken('ninety eight one two forty three'), '981243');
    assert.equal(normaliseSpoken('book for two people at five'), 'book for two people at five');
    assert.equal(normaliseSpoken('one haircut and one beard trim'), 'one haircut and one beard trim');
    assert.equal(normaliseSpoken('nau aath saat chhe paanch'), '98765');
  });

  it('reads a spoken email as an address: "at the rate", "at", "dot", spelled letters', () => {
    assert.equal(normaliseSpoken('my email is ravi at the rate gmail dot com'), 'my email is ravi@gmail.com');
    assert.equal(normaliseSpoken('email ravi at gmail dot com please'), 'email ravi@gmail.com please');
    assert.equal(normaliseSpoken('it is r a v i at yahoo dot co dot in'), 'it is ravi@yahoo.co.in');
    assert.equal(normaliseSpoken('ravi underscore k at outlook dot com'), 'ravi_k@outlook.com');
    assert.equal(normaliseSpoken('ravi dot kumar at gmail dot com'), 'ravi.kumar@gmail.com');
    // "at" without a domain after it is the word "at".
    assert.equal(normaliseSpoken('can I come at five tomorrow'), 'can I come at five tomorrow');
    assert.equal(normaliseSpoken('I am at the clinic dot'), 'I am at the clinic dot');
  });

  it('the lead is captured from the normalised words', () => {
    const heard =
      'my name is r a v i and my email is ravi at the rate gmail dot com number nine eight one two three four five six seven zero';
    assert.deepEqual(extractLeadFields(normaliseSpoken(heard), 'IN'), {
      name: 'Ravi',
      email: 'ravi@gmail.com',
      phone: '+919812345670',
    });
    assert.deepEqual(
      extractLeadFields(heard, 'IN'),
      { name: 'R' },
      'without it: a letter for a name, no email, no phone',
    );
  });

  it('gives a lowercase spoken name its capitals, not the words around it', () => {
    assert.equal(normaliseSpoken("i'm vikram joshi my number is"), "i'm Vikram Joshi my number is");
    assert.equal(
      normaliseSpoken('this is arjun mehta we want a quote'),
      'this is Arjun Mehta we want a quote',
    );
    assert.equal(normaliseSpoken("i'm looking for a facial"), "i'm looking for a facial");
    assert.equal(normaliseSpoken('my name is priya and my email'), 'my name is Priya and my email');
    assert.equal(normaliseSpoken('my name is neha neha@example.com'), 'my name is Neha neha@example.com');
    assert.deepEqual(extractLeadFields(normaliseSpoken('this is arjun mehta'), 'IN'), {
      name: 'Arjun Mehta',
    });
    assert.deepEqual(extractLeadFields('this is arjun mehta', 'IN'), {});
  });

  it('reads an email and a phone number back letter by letter, digit by digit', () => {
    assert.equal(speakEmail('ravi.k2@gmail.com'), 'r a v i dot k two at gmail dot com');
    assert.equal(speakPhone('+919812345670'), 'nine eight one, two three four, five six seven zero');
  });

  it('on a call, a captured email and number are read back; on chat, only thanks', () => {
    const lead = { name: 'Ravi', email: 'ravi@gmail.com', phone: '+919812345670' };
    assert.equal(
      leadNote(lead, 'en', true),
      "Thanks, Ravi! I have your email as r a v i at gmail dot com, and your number as nine eight one, two three four, five six seven zero; tell me if that's not right. ",
    );
    assert.equal(leadNote(lead, 'en', false), 'Thanks, Ravi! ');
    assert.match(
      leadNote({ phone: '+919812345670' }, 'hi-Latn', true),
      /^Shukriya, maine note kar liya\. Maine number nine/,
    );
    assert.equal(leadNote({ name: 'Ravi' }, 'en', true), 'Thanks, Ravi! ');
  });
});
