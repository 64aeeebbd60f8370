import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { AgentConfig } from '../../src/modules/agents/agents.service.ts';
import { builtinReply } from '../../src/modules/ai/builtin.ts';
import { detectLocale, locales, localesDir, replyLocale, say, toLatin } from '../../src/modules/ai/locale.ts';
import { createWorld, salonAgent, type World } from '../support/ai-world.ts';

/** Issue 46: languages as data (src/modules/ai/locales/<code>/), replies in the customer's language and script. */
describe('built-in agent: locales', () => {
  let world: World;
  const agent = salonAgent();
  before(async () => {
    world = await createWorld(agent);
  });
  after(async () => {
    await world.close();
  });
  const reply = (text: string, a: AgentConfig = agent) =>
    builtinReply(
      {
        agent: a,
        messages: [text],
        history: [],
        variables: {},
        now: new Date('2026-05-11T04:30:00Z'),
        defaultCountry: 'IN',
      },
      world.tools,
    );

  it('every locale folder is loaded, and every reply English has exists in each (or its fallback)', () => {
    const folders = readdirSync(localesDir, { withFileTypes: true }).filter((e) => e.isDirectory());
    assert.deepEqual([...locales.keys()].sort(), folders.map((f) => f.name).sort());
    for (const l of locales.values())
      for (const key of Object.keys(locales.get('en')?.replies ?? {}))
        assert.ok(say(l.code, key), `${l.code} ${key}`);
  });

  it('tells the locale by script and by marker words', () => {
    assert.equal(detectLocale('हेयरकट का दाम कितना है?'), 'hi');
    assert.equal(detectLocale('kal 3 baje aana hai'), 'hi-Latn');
    assert.equal(detectLocale('facial book karna'), 'hi-Latn');
    assert.equal(detectLocale('Do you have parking?'), 'en');
    assert.equal(replyLocale('hi-Latn', ['en']), 'en');
    assert.equal(replyLocale('hi', ['en', 'hi']), 'hi');
    assert.equal(toLatin('हेयरकट का दाम कितना है?', ['Haircut']), 'haircut ka daam kitna hai?');
  });

  it('answers a price question in Devanagari with the price, not "I don\'t know" (category 9)', async () => {
    const r = await reply('हेयरकट का दाम कितना है?');
    assert.equal(r.answered, true, r.reply);
    assert.match(r.reply, /500/);
  });

  it('reads "aaj shaam 7 baje?" as a wish to book and answers in Hinglish (category 9)', async () => {
    const r = await reply('aaj shaam 7 baje?');
    assert.equal(r.answered, true, r.reply);
    assert.equal(r.state?.task, 'booking', r.reply);
    assert.match(r.reply, /kaunsi|Kaunsi|kis din|karun/);
  });

  it('answers a short Hinglish message in Hinglish (category 9)', async () => {
    const r = await reply('facial book karna');
    assert.match(r.reply, /chahenge|karun|Kis din/, r.reply);
  });

  it('answers Devanagari in Devanagari from the catalogue', async () => {
    const r = await reply('धन्यवाद');
    assert.match(r.reply, /[\u0900-\u097F]/, r.reply);
    assert.equal(r.reply, say('hi', 'welcome'));
  });

  it('reads agent.languages: an agent that answers only in English answers Hinglish in English', async () => {
    const english = { ...agent, languages: ['en'] };
    const r = await reply('koi kaam ki baat nahi, bas aise hi poocha tha yaar', english);
    assert.equal(r.reply, say('en', 'unknown_rephrase'));
    const both = await reply('koi kaam ki baat nahi, bas aise hi poocha tha yaar');
    assert.equal(both.reply, say('hi-Latn', 'unknown_rephrase'));
  });
});

describe('built-in agent: the facts in Devanagari', () => {
  it('says a price, the hours and the address in the script the customer wrote in', async () => {
    const agent = salonAgent();
    const world = await createWorld(agent);
    try {
      const ask = (text: string) =>
        builtinReply(
          {
            agent,
            messages: [text],
            history: [],
            variables: {},
            now: new Date('2026-05-11T04:30:00Z'),
            defaultCountry: 'IN',
          },
          world.tools,
        );
      const price = await ask('फेशियल कितने का है?');
      assert.match(price.reply, /1,200/);
      assert.match(price.reply, /दाम/);
      assert.match((await ask('क्या आप रविवार को खुले हैं?')).reply, /बंद/);
      assert.match((await ask('आपका पता क्या है?')).reply, /पता.*MG Road/);
      // Hinglish in Latin script keeps its Latin replies.
      assert.match((await ask('facial ka rate kya hai?')).reply, /Facial ka charge/);
    } finally {
      await world.close();
    }
  });
});
