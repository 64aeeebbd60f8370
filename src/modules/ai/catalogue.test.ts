import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentConfig } from '../agents/index.ts';
import { notOfferedReply, serviceFact, servicesIn, servicesReply } from './catalogue.ts';
import { policyQuestion } from './question-kind.ts';
import { durationText, forVoice, priceText, spokenClock } from './speakable.ts';

const service = (name: string, duration_minutes: number, price: number | null) => ({
  id: `svc_${name}`,
  name,
  duration_minutes,
  price,
  capacity: 1,
});
const agent = {
  name: 'Pawsome',
  greeting: null,
  business: {
    address: 'Hill Road, Bandra',
    services: [
      service('Full Groom', 120, 2499),
      service('Nail Trim', 15, 299),
      service('Bath and Brush', 60, 999),
      service('Physiotherapy Session', 45, 700),
      service('Initial Assessment', 45, 900),
    ],
  },
  tools: ['knowledge'],
} as unknown as AgentConfig;
const chat = { locale: 'en', channel: 'chat' as const, country: 'IN' };
const voice = { locale: 'en', channel: 'voice' as const, country: 'IN' };

describe('the service catalogue', () => {
  it('names services in the customer’s words, English and Hinglish', () => {
    const named = (text: string) => servicesIn(agent, text).map((s) => s.name);
    assert.deepEqual(named('how much to get my nails clipped?'), ['Nail Trim']);
    assert.deepEqual(named('nakhun katwane ka kitna?'), ['Nail Trim']);
    assert.deepEqual(named('nahlane ka kitna lagega'), ['Bath and Brush']);
    assert.deepEqual(named('ek session ka kitna hai'), ['Physiotherapy Session']);
    assert.deepEqual(named('fee for the first visit?'), ['Initial Assessment']);
    assert.deepEqual(servicesIn(agent, 'ek session ka kitna hai', false), []);
  });

  it('says prices in the business currency and durations in hours, in words on a call', () => {
    const groom = agent.business.services[0];
    assert.equal(
      serviceFact(groom, 'how much?', chat),
      'A Full Groom costs ₹2,499 and takes about 120 minutes (2 hours).',
    );
    assert.equal(
      serviceFact(groom, 'how much?', voice),
      'A Full Groom costs 2499 rupees and takes about two hours.',
    );
    assert.match(
      servicesReply(agent, voice),
      /^We offer Full Groom for 2499 rupees; Nail Trim for 299 rupees/,
    );
    assert.doesNotMatch(servicesReply(agent, voice), /\(/);
  });

  it('an honest no names the thing and no other service’s price', () => {
    const reply = notOfferedReply(agent, 'Do you do dog boarding?', ['dog', 'boarding'], chat);
    assert.match(
      reply,
      /^I'm sorry, I don't have that information\. As far as I know, we don't offer dog boarding\./,
    );
    assert.doesNotMatch(reply, /2,499|Yes/);
  });
});

describe('policy questions versus requests to act', () => {
  it('reads conditional and hypothetical questions as questions about the policy', () => {
    assert.equal(policyQuestion('what if I need to cancel?'), 'cancel');
    assert.equal(policyQuestion('is it possible to cancel in case my dog falls sick?'), 'cancel');
    assert.equal(policyQuestion('agar mujhe cancel karna pade to kya hoga?'), 'cancel');
    assert.equal(policyQuestion('what happens if I miss my session?'), 'miss');
    assert.equal(policyQuestion('what if I arrive late?'), 'late');
    assert.equal(policyQuestion('cancel my appointment please'), null);
    assert.equal(policyQuestion('meri booking cancel kar do'), null);
  });
});

describe('speakable answers', () => {
  it('says amounts, durations and clock times as people say them', () => {
    assert.equal(priceText(3499, 'IN', 'voice'), '3499 rupees');
    assert.equal(priceText(3499, 'US', 'chat'), '$3,499');
    assert.equal(durationText(120, 'voice'), 'two hours');
    assert.equal(durationText(90, 'voice'), 'an hour and a half');
    assert.equal(durationText(75, 'voice'), 'one hour and fifteen minutes');
    assert.equal(durationText(150, 'voice'), 'two and a half hours');
    assert.equal(spokenClock(9, 15), 'nine fifteen a m');
    assert.equal(spokenClock(16, 30), 'four thirty p m');
    assert.equal(spokenClock(9, 5), 'nine oh five a m');
    assert.equal(
      forVoice('Done! Booked for Tue 16 Jun, 09:15. Open 10:00–16:00. Costs ₹3,499 (cash).', 'IN'),
      'Done! Booked for Tue 16 Jun, nine fifteen a m. Open ten a m to four p m. Costs 3499 rupees, cash.',
    );
    assert.equal(forVoice('Come at 9:15 AM or 5 pm', 'IN'), 'Come at nine fifteen a m or five p m');
  });
});
