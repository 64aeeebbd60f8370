import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { builtinReply } from '../../src/modules/ai/builtin.ts';
import { createWorld, salonAgent, type World } from '../support/ai-world.ts';

/** Issue 46, category 6: a message with several questions gets every answer. */
describe('built-in agent: several questions in one message', () => {
  let world: World;
  const agent = salonAgent();
  before(async () => {
    world = await createWorld(agent);
    await world.addDocument(
      'Payments and insurance',
      '## Insurance\nWe do not accept health insurance; we give you an itemised bill to claim yourself.\n\n## Payment\nWe accept UPI, cards and cash.',
      'text',
    );
  });
  after(async () => {
    await world.close();
  });
  const reply = (text: string) =>
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

  it('answers the price, the knowledge question and the hours together', async () => {
    const r = await reply(
      'What is the price of a haircut and do you take insurance and are you open on Saturday?',
    );
    assert.match(r.reply, /500/);
    assert.match(r.reply, /insurance/i);
    assert.match(r.reply, /10:00–20:00/);
    assert.ok(r.sources.length >= 1, 'the knowledge passage is a source');
    assert.equal(r.answered, true);
  });

  it('names the question it cannot answer beside the ones it can', async () => {
    const r = await reply('How much is a facial? Where are you located? Do you have a swimming pool?');
    assert.match(r.reply, /1,200/);
    assert.match(r.reply, /MG Road/);
    assert.match(r.reply, /swimming pool/);
  });
});
