import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namedIntents } from '../intents.ts';
import { toLatin } from '../locale.ts';
import { classify, sureIntent } from './index.ts';
import { dataHash, localeIntents, trainingSet } from './intents-data.ts';
import model from './model.json' with { type: 'json' };

describe('intent data and classifier', () => {
  it('the committed model was trained on the data as it is (run `npm run train` after changing it)', () => {
    assert.equal(model.data_hash, dataHash(trainingSet()));
  });

  for (const [code, data] of Object.entries(localeIntents()))
    describe(`locales/${code}/intents.json`, () => {
      for (const [intent, d] of Object.entries(data)) {
        it(`${intent}: every example is read as ${intent}`, () => {
          const wrong = d.examples
            .map((e) => [e, classify(toLatin(e)).intent] as const)
            .filter(([, got]) => got !== intent);
          assert.deepEqual(wrong, []);
        });
        it(`${intent}: no counter-example is taken for ${intent}`, () => {
          const wrong = d.counter.filter((e) => sureIntent(classify(toLatin(e))) === intent);
          assert.deepEqual(wrong, []);
        });
      }
    });

  it('is sure of nothing ours for what a salon has no answer to', () => {
    for (const text of [
      'what is the exchange rate for euros',
      'play some jazz music',
      'how do I jump start my car',
    ])
      assert.equal(sureIntent(classify(text)) ?? 'none', 'none', text);
  });

  it('reads a time asked in Hinglish as a wish to book (issue 46, category 9)', () => {
    assert.equal(sureIntent(classify('aaj shaam 7 baje?')), 'book');
  });

  it('gives voice flows the classifier where no rule reads the words', () => {
    const named = (text: string) => namedIntents.find(([, test]) => test(text))?.[0] ?? null;
    assert.equal(named('much appreciated'), 'thanks');
    assert.equal(named('please cancel my booking'), 'cancel');
    assert.equal(named('play some jazz music'), null);
  });

  it('classifies a message in well under a millisecond', () => {
    const started = performance.now();
    for (let i = 0; i < 1000; i++) classify('can I book a haircut for tomorrow at 5 please');
    assert.ok(performance.now() - started < 1000);
  });
});
