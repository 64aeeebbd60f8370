import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { actionsOf, localTime, talkTo } from '../support/ai-dialogue.ts';
import { createWorld, salonAgent, type World } from '../support/ai-world.ts';

/**
 * Issue 64, item 4: Tamil and Bengali, added by their folders under src/modules/ai/locales/ only,
 * are understood and answered in kind: a price, the hours, a booking (day and time read, read
 * back, confirmed), a change of booking, a handoff and a closing.
 */

// Monday 23 November 2026, 08:30 in Bengaluru: "tomorrow" is Tuesday 24 November, open 10:00-19:00.
const now = new Date('2026-11-23T03:00:00Z');
const TZ = 'Asia/Kolkata';

const talk = (world: World, messages: string[]) => talkTo(world, messages, { now, history: 'replies' });
const of = actionsOf;
const local = (iso: unknown) => localTime(iso, TZ);
const tamil = /\p{Script=Tamil}/u;
const bengali = /\p{Script=Bengali}/u;
/** A reply in the script, with no English sentence in it (names, numbers and times aside). */
const inScript = (reply: string, script: RegExp) =>
  script.test(reply) && !/\b(the|your|you|we|is|are|should|which|book it|sorry)\b/i.test(reply);

const cases = [
  {
    code: 'ta',
    script: tamil,
    price: 'Haircut விலை என்ன?',
    priceSays: '₹500',
    hours: 'நீங்கள் எப்போது திறந்திருக்கும்?',
    ask: 'நாளை மாலை 5 மணிக்கு Haircut கிடைக்குமா?',
    yes: 'ஆம்',
    move: 'என் முன்பதிவை மாற்ற வேண்டும்',
    moveTo: 'நாளை காலை 11 மணிக்கு மாற்றுங்கள்',
    humanExample: 'ஒரு மனிதரிடம் பேச வேண்டும்',
    humanOther: 'உங்கள் ஊழியர் ஒருவரிடம் பேசலாமா?',
    thanks: 'ரொம்ப நன்றி',
  },
  {
    code: 'bn',
    script: bengali,
    price: 'Haircut-এর দাম কত?',
    priceSays: '₹500',
    hours: 'আপনারা কখন খোলা থাকেন?',
    ask: 'আগামীকাল বিকেল ৫টায় Haircut পাওয়া যাবে?',
    yes: 'হ্যাঁ',
    move: 'আমার বুকিং বদলাতে চাই',
    moveTo: 'আগামীকাল সকাল ১১টায় সরিয়ে দিন',
    humanExample: 'একজন মানুষের সঙ্গে কথা বলতে চাই',
    humanOther: 'আপনাদের কোনো কর্মীর সঙ্গে কথা বলা যাবে?',
    thanks: 'অনেক ধন্যবাদ',
  },
];

describe('Tamil and Bengali through the built-in engine, issue 64', () => {
  let world: World;
  before(async () => {
    world = await createWorld(salonAgent({ languages: ['en', 'hi', 'ta', 'bn'] }));
  });
  after(() => world.close());

  for (const c of cases) {
    it(`${c.code}: a price question is answered in the language`, async () => {
      const { replies, transcript } = await talk(world, [c.price]);
      assert.ok(replies[0].includes(c.priceSays), transcript);
      assert.ok(inScript(replies[0], c.script), transcript);
    });

    it(`${c.code}: the hours are answered in the language`, async () => {
      const { replies, transcript } = await talk(world, [c.hours]);
      assert.ok(replies[0].includes('10:00–19:00'), transcript);
      assert.ok(inScript(replies[0], c.script), transcript);
    });

    it(`${c.code}: a booking's day and time are read, read back and booked on the yes`, async () => {
      world.booked.clear();
      const { actions, replies, transcript } = await talk(world, [c.ask, c.yes]);
      assert.equal(of(actions, 'booking_created').length, 1, transcript);
      assert.equal(local(of(actions, 'booking_created')[0].data.start_at), '2026-11-24 17:00', transcript);
      assert.ok(replies[0].includes('17:00') && inScript(replies[0], c.script), transcript);
      assert.ok(replies[1].includes('17:00') && inScript(replies[1], c.script), transcript);
    });

    it(`${c.code}: a booking is moved on request`, async () => {
      world.booked.clear();
      const { actions, replies, transcript } = await talk(world, [c.ask, c.yes, c.move, c.moveTo]);
      const moved = of(actions, 'booking_rescheduled');
      assert.equal(moved.length, 1, transcript);
      assert.equal(local(moved[0].data.start_at), '2026-11-24 11:00', transcript);
      for (const r of replies.slice(2)) assert.ok(inScript(r, c.script), transcript);
    });

    it(`${c.code}: a person asked for, in a training example's words and in others, is handed off`, async () => {
      for (const m of [c.humanExample, c.humanOther]) {
        const { results, transcript } = await talk(world, [m]);
        assert.ok(results[0].handedOff, transcript);
        assert.ok(inScript(results[0].reply, c.script), transcript);
      }
    });

    it(`${c.code}: thanks close the exchange in the language and change nothing`, async () => {
      const { actions, replies, transcript } = await talk(world, [c.thanks]);
      assert.equal(actions.length, 0, transcript);
      assert.ok(inScript(replies[0], c.script), transcript);
    });
  }
});
