import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentConfig } from '../../src/modules/agents/agents.service.ts';
import { actionsOf, localTime, talkTo } from '../support/ai-dialogue.ts';
import { runEval } from '../support/ai-eval.ts';
import { createWorld, salonAgent, type World } from '../support/ai-world.ts';

/**
 * Issue 64, the booking defects: each dialogue is turns of the built-in agent with the state
 * handed on as data (the replies in the history are reworded).
 */

// Monday 23 November 2026, 08:30 in Bengaluru: "tomorrow" is a Tuesday, open 10:00-19:00.
const now = new Date('2026-11-23T03:00:00Z');
const TZ = 'Asia/Kolkata';

const talk = (world: World, messages: string[]) => talkTo(world, messages, { now });
const of = actionsOf;
const local = (iso: unknown) => localTime(iso, TZ);

/** A salon open 07:00-22:00, so a bare "7" could be 07:00 or 19:00. */
function earlySalon(): AgentConfig {
  const base = salonAgent();
  const day = [{ open: '07:00', close: '22:00' }];
  return salonAgent({
    business: {
      ...base.business,
      hours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: [] },
    },
  });
}

function dental(): AgentConfig {
  const base = salonAgent();
  return salonAgent({
    name: 'Smile Dental',
    business: {
      ...base.business,
      services: [
        {
          id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E91',
          name: 'Check-up',
          duration_minutes: 30,
          price: 400,
          capacity: 1,
        },
        {
          id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E92',
          name: 'Teeth Cleaning',
          duration_minutes: 45,
          price: 1200,
          capacity: 1,
        },
      ],
    },
  });
}

describe('booking defects, issue 64', () => {
  let salon: World;
  let early: World;
  let clinic: World;
  before(async () => {
    salon = await createWorld(salonAgent());
    early = await createWorld(earlySalon());
    clinic = await createWorld(dental());
  });
  after(async () => {
    await salon.close();
    await early.close();
    await clinic.close();
  });

  for (const closing of [
    'Great, see you tomorrow then!',
    'Thanks, see you today!',
    'ok bye, see you on Friday',
    'perfect, thank you! have a nice day today',
    'Thanks so much, I will be there tomorrow',
  ]) {
    it(`"${closing}" after a booking moves nothing`, async () => {
      salon.booked.clear();
      const t = await talk(salon, ['book a haircut on Wednesday at 11am', closing]);
      assert.equal(of(t.actions, 'booking_created').length, 1, t.transcript);
      assert.equal(of(t.actions, 'booking_rescheduled').length, 0, t.transcript);
      assert.equal(of(t.actions, 'reschedule_proposed').length, 0, t.transcript);
      assert.equal(t.results[1].state?.booked?.date, '2026-11-25', t.transcript);
      assert.doesNotMatch(t.replies[1], /moved|Done|shift|Which time|Shall I/i, t.transcript);
    });
  }

  it('"kal subha 7 baje" is 07:00', async () => {
    early.booked.clear();
    const t = await talk(early, ['kal subha 7 baje haircut book karna hai']);
    const made = of(t.actions, 'booking_created');
    assert.equal(made.length, 1, t.transcript);
    assert.equal(local(made[0].data.start_at), '2026-11-24 07:00', t.transcript);
  });

  for (const [said, want] of [
    ['kal subah 8 baje haircut book karo', '2026-11-24 08:00'],
    ['kal dopahar 2 baje haircut book karo', '2026-11-24 14:00'],
    ['kal shaam 7 baje haircut book karo', '2026-11-24 19:00'],
    ['kal raat 9 baje haircut book karo', '2026-11-24 21:00'],
    ['कल सुबह 7 बजे haircut book करना है', '2026-11-24 07:00'],
    ['कल शाम 7 बजे haircut book करना है', '2026-11-24 19:00'],
    ['कल दोपहर 2 बजे haircut book करना है', '2026-11-24 14:00'],
    ['कल रात 9 बजे haircut book करना है', '2026-11-24 21:00'],
    ['book a haircut tomorrow morning 9', '2026-11-24 09:00'],
    ['book a haircut tomorrow evening 7', '2026-11-24 19:00'],
  ] as const) {
    it(`"${said}" books ${want}`, async () => {
      early.booked.clear();
      const t = await talk(early, [said]);
      const made = of(t.actions, 'booking_created');
      const proposed = of(t.actions, 'booking_proposed');
      const at =
        made[0]?.data.start_at ??
        (proposed[0]?.data.slots as Array<{ start_at: string }> | undefined)?.[0]?.start_at;
      assert.equal(local(at), want, t.transcript);
    });
  }

  for (const spelling of ['bajhe', 'baje', 'bje', 'bajay']) {
    it(`"kal 4 ${spelling} haircut" reads 16:00 and "${spelling}" is no part of a service name`, async () => {
      salon.booked.clear();
      const t = await talk(salon, [`kal 4 ${spelling} haircut book karo`]);
      assert.doesNotMatch(t.replies[0], /offer|nahi (hai|karte)/i, t.transcript);
      const made = of(t.actions, 'booking_created');
      assert.equal(made.length, 1, t.transcript);
      assert.equal(local(made[0].data.start_at), '2026-11-24 16:00', t.transcript);
    });
  }

  for (const [said, want] of [
    ['book a haircut tomorrow at 2 : 30 pm', '2026-11-24 14:30'],
    ['book a haircut tomorrow 7 30 PM', '2026-11-24 19:30'],
    ['book a haircut tomorrow 10.30 am', '2026-11-24 10:30'],
  ] as const) {
    it(`"${said}" books ${want}`, async () => {
      early.booked.clear();
      const t = await talk(early, [said]);
      const made = of(t.actions, 'booking_created');
      assert.equal(made.length, 1, t.transcript);
      assert.equal(local(made[0].data.start_at), want, t.transcript);
    });
  }

  it('"that same day" is the day already said', async () => {
    salon.booked.clear();
    const t = await talk(salon, [
      'I need a haircut on Friday',
      'do you have anything that same day at 3 pm?',
      'yes',
    ]);
    const made = of(t.actions, 'booking_created');
    assert.equal(made.length, 1, t.transcript);
    assert.equal(local(made[0].data.start_at), '2026-11-27 15:00', t.transcript);
  });

  it('"ok, that works, but make it later" is a change, not a yes', async () => {
    salon.booked.clear();
    const t = await talk(salon, [
      'can I come tomorrow at 11 am for a haircut?',
      'ok, that works, but make it later',
    ]);
    assert.equal(of(t.actions, 'booking_created').length, 0, t.transcript);
    assert.doesNotMatch(t.replies[1], /Done!/, t.transcript);
    // The free times after the one read back are offered.
    assert.match(t.replies[1], /11:30/, t.transcript);
    assert.doesNotMatch(t.replies[1], /10:30/, t.transcript);
  });

  for (const no of ['negative', 'nope', 'nah']) {
    it(`"${no}, <new wish>" to a read-back takes the new wish`, async () => {
      salon.booked.clear();
      const t = await talk(salon, ['can I come tomorrow at 5 pm for a haircut?', `${no}, rather at 4 pm`]);
      const made = of(t.actions, 'booking_created');
      assert.equal(made.length, 1, t.transcript);
      assert.equal(local(made[0].data.start_at), '2026-11-24 16:00', t.transcript);
    });
    it(`a plain "${no}" to a read-back books nothing`, async () => {
      salon.booked.clear();
      const t = await talk(salon, ['can I come tomorrow at 5 pm for a haircut?', no]);
      assert.equal(of(t.actions, 'booking_created').length, 0, t.transcript);
      assert.equal(t.results[1].state?.task ?? null, null, t.transcript);
    });
  }

  for (const said of ['I need to see a doctor tomorrow at 11', 'looking for a dentist tomorrow at 11 am']) {
    it(`"${said}" is a visit, not an unknown service`, async () => {
      clinic.booked.clear();
      const t = await talk(clinic, [said]);
      assert.doesNotMatch(t.replies[0], /don't offer|don't have that information/, t.transcript);
      assert.equal(t.results[0].state?.task, 'booking', t.transcript);
    });
  }

  it('a bare hour that could be 12 hours apart is read back before booking', async () => {
    early.booked.clear();
    const t = await talk(early, ['book a haircut tomorrow at 8', 'yes']);
    assert.equal(of(t.actions, 'booking_created').length, 1, t.transcript);
    assert.equal(of(t.actions, 'booking_proposed').length, 1, t.transcript);
    assert.match(t.replies[0], /8/, t.transcript);
    assert.equal(
      t.results[0].actions.some((a) => a.type === 'booking_created'),
      false,
      t.transcript,
    );
  });

  it('a bare hour only one reading of which is open is booked at once', async () => {
    salon.booked.clear();
    const t = await talk(salon, ['book a haircut tomorrow at 3']);
    const made = of(t.actions, 'booking_created');
    assert.equal(made.length, 1, t.transcript);
    assert.equal(local(made[0].data.start_at), '2026-11-24 15:00', t.transcript);
  });
});

/**
 * Issue 64, our salon's misses: a Hinglish price of a men's service, "can I cancel if something
 * comes up?" as a policy question, a move counted from the booking's own day. Written before the
 * engine changed for them (8 of 19 passed then), the evaluation set's salon with its knowledge.
 */
describe('the salon misses, issue 64', () => {
  it('answers every case of test/fixtures/ai-eval-round-five', async () => {
    const report = await runEval({ dir: new URL('../fixtures/ai-eval-round-five/', import.meta.url) });
    assert.deepEqual(
      report.failures.map((f) => `${f.message}: ${f.problems.join('; ')} (${f.reply})`),
      [],
    );
  });
});
