import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DateTime } from 'luxon';
import type { AgentConfig } from '../../src/modules/agents/agents.service.ts';
import { actionsOf, localTime, talkTo } from '../support/ai-dialogue.ts';
import { createWorld, salonAgent, type World } from '../support/ai-world.ts';

/**
 * Issue 46: the booking dialogue with customers nobody here scripted. Each step is a turn of the
 * built-in agent with the dialogue state handed on as data (the replies in the history are
 * reworded, so nothing is read back from their words).
 */

// Monday 23 November 2026, 10:30 in Bengaluru: "tomorrow" is a Tuesday, open 10:00-19:00.
const now = new Date('2026-11-23T05:00:00Z');
const TZ = 'Asia/Kolkata';

const talk = (world: World, messages: string[]) => talkTo(world, messages, { now });
const of = actionsOf;
const local = (iso: unknown) => localTime(iso, TZ);

function clinic(services: AgentConfig['business']['services']): AgentConfig {
  const base = salonAgent();
  return salonAgent({
    name: 'Smile Dental',
    business: { ...base.business, services },
  });
}
const checkUp = {
  id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E91',
  name: 'Check-up',
  duration_minutes: 30,
  price: 400,
  capacity: 1,
};

describe('the booking dialogue, issue 46', () => {
  let salon: World;
  let dental: World;
  before(async () => {
    salon = await createWorld(salonAgent());
    dental = await createWorld(
      clinic([
        checkUp,
        {
          id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E92',
          name: 'Teeth Cleaning',
          duration_minutes: 45,
          price: 1200,
          capacity: 1,
        },
        {
          id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E93',
          name: 'Root Canal',
          duration_minutes: 90,
          price: 6000,
          capacity: 1,
        },
      ]),
    );
    await dental.addDocument(
      'Payments',
      'Q: What payment methods do you accept?\nA: We accept cash, cards and UPI.\n\nQ: Do you take insurance?\nA: We accept most dental insurance plans.',
      'faq',
    );
  });
  after(async () => {
    await salon.close();
    await dental.close();
  });

  describe('category 1: a change after a booking or a read-back moves it', () => {
    for (const [said, want] of [
      ['hmm, could we move it to the 14th instead?', '2026-12-14 11:00'],
      ['no, rather at 10 am', '2026-11-24 10:00'],
      ['sorry, I meant April 2nd', '2027-04-02 11:00'],
    ] as const) {
      it(`"${said}" after a booking moves it, no second booking`, async () => {
        salon.booked.clear();
        const t = await talk(salon, ['book a haircut tomorrow at 11am', said]);
        assert.equal(of(t.actions, 'booking_created').length, 1, t.transcript);
        const moved = of(t.actions, 'booking_rescheduled');
        assert.equal(moved.length, 1, t.transcript);
        assert.equal(local(moved[0].data.start_at), want, t.transcript);
        assert.equal(salon.booked.size, 1);
        assert.doesNotMatch(t.replies[1], /don't have that information/);
      });
    }

    it('"No, <new wish>" to a read-back is not a plain no: the new time is taken', async () => {
      salon.booked.clear();
      const t = await talk(salon, ['can I come tomorrow at 5 pm for a haircut?', 'No, rather at 4 pm']);
      assert.equal(of(t.actions, 'booking_proposed').length >= 1, true);
      assert.doesNotMatch(t.replies[1], /haven't booked anything/, t.transcript);
      const made = of(t.actions, 'booking_created');
      assert.equal(made.length, 1, t.transcript);
      assert.equal(local(made[0].data.start_at), '2026-11-24 16:00');
    });

    it('a second booking asked for beside the first is not a move', async () => {
      salon.booked.clear();
      const t = await talk(salon, [
        'book a haircut tomorrow at 11am',
        'also book one for my son on Wednesday at 3 pm',
      ]);
      assert.equal(of(t.actions, 'booking_rescheduled').length, 0, t.transcript);
    });
  });

  describe('category 2: a visit in everyday words is a booking of the business’s service', () => {
    let single: World;
    before(async () => {
      single = await createWorld(clinic([checkUp]));
    });
    after(() => single.close());

    for (const said of [
      "I'd like to get my teeth looked at on the 9th",
      'need to visit the doctor',
      'can you fit me in?',
    ]) {
      it(`"${said}" with one service books that service`, async () => {
        single.booked.clear();
        const t = await talk(single, [said]);
        assert.doesNotMatch(t.replies[0], /don't offer|don't have that information/, t.transcript);
        assert.equal(t.results[0].state?.task, 'booking', t.transcript);
        assert.equal(t.results[0].state?.slots.serviceId, checkUp.id, t.transcript);
      });
    }

    it('with several services the customer is asked which, never told "we don\'t offer" their words', async () => {
      salon.booked.clear();
      const t = await talk(salon, ['can you fit me in tomorrow?']);
      assert.match(t.replies[0], /Which service/, t.transcript);
      assert.doesNotMatch(t.replies[0], /don't offer/);
    });
  });

  describe('category 3: a time without a date', () => {
    it('asks for the day, then books the time on it', async () => {
      salon.booked.clear();
      const t = await talk(salon, ['book a haircut at 6pm', 'tomorrow']);
      assert.match(t.replies[0], /Which day would you like 18:00/, t.transcript);
      const made = of(t.actions, 'booking_created');
      assert.equal(made.length, 1, t.transcript);
      assert.equal(local(made[0].data.start_at), '2026-11-24 18:00');
    });
  });

  describe('category 4: "yes" to a read-back books what was read back', () => {
    it('even when the day was said more than three messages before', async () => {
      salon.booked.clear();
      const t = await talk(salon, [
        'I want a haircut on Friday',
        'My name is Mark Lee',
        'my email is mark@example.com',
        'do you have anything in the evening?',
        'is 5:30 pm possible?',
        'yes',
      ]);
      const made = of(t.actions, 'booking_created');
      assert.equal(made.length, 1, t.transcript);
      assert.equal(local(made[0].data.start_at), '2026-11-27 17:30', t.transcript);
    });
  });

  describe('category 5: closings', () => {
    it('"thank you", "great, thanks" and "ok great" after a booking close politely and never hand off', async () => {
      salon.booked.clear();
      const t = await talk(salon, [
        'book a haircut tomorrow at 11am',
        'thank you',
        'great, thanks',
        'ok great',
      ]);
      for (const reply of t.replies.slice(1)) {
        assert.doesNotMatch(reply, /don't have that information|connect you/, t.transcript);
        assert.match(reply, /welcome/i, t.transcript);
      }
      assert.equal(of(t.actions, 'handoff').length, 0);
    });
  });

  describe('category 7: a price question right after booking a service', () => {
    it('is answered with that service’s price, not an unrelated FAQ', async () => {
      dental.booked.clear();
      const t = await talk(dental, ['book a teeth cleaning tomorrow at 11am', 'how much will it cost?']);
      assert.equal(of(t.actions, 'booking_created').length, 1, t.transcript);
      assert.match(t.replies[1], /1,?200/, t.transcript);
      assert.doesNotMatch(t.replies[1], /UPI|insurance/, t.transcript);
    });
  });

  describe('category 8: symptoms and past events', () => {
    it('"my root canal from last week is still paining" offers no slot, least of all a past one', async () => {
      dental.booked.clear();
      const t = await talk(dental, ['My root canal from last week is still paining']);
      const today = DateTime.fromJSDate(now).setZone(TZ).toISODate()!;
      const checked = of(t.actions, 'availability_checked').map((a) => String(a.data.date));
      assert.deepEqual(
        checked.filter((d) => d < today),
        [],
        t.transcript,
      );
      assert.equal(of(t.actions, 'booking_proposed').length, 0, t.transcript);
      assert.equal(of(t.actions, 'booking_created').length, 0, t.transcript);
    });
    it('a symptom told in the middle of a booking keeps the booking going', async () => {
      salon.booked.clear();
      const t = await talk(salon, [
        'I need a haircut on Friday',
        'I have had a headache for two days now',
        '4 pm',
      ]);
      const made = of(t.actions, 'booking_created');
      assert.equal(made.length, 1, t.transcript);
      assert.equal(local(made[0].data.start_at), '2026-11-27 16:00', t.transcript);
    });
  });
});

/**
 * The public STAR appointment dialogues (MIT; test/fixtures/corpora/star-appointments.json)
 * replayed message by message: the floor is what this round measured (119 of 132, 90.2%; it was
 * 36 before), so a change that books fewer of them right fails here. `npm run eval -- --corpus
 * star-appointments --failures` prints each one missed.
 */
describe('replaying public appointment dialogues', () => {
  it('books at least 119 of the 132 STAR dialogues on the right day and time, once each', async () => {
    const { runStar } = await import('../support/corpus-star-appointments.ts');
    const { right, total, results } = await runStar();
    assert.equal(total, 132);
    assert.ok(
      right >= 119,
      `${right}/${total}: ${results
        .filter((r) => !r.ok)
        .map((r) => r.id)
        .join(', ')}`,
    );
  });
});
