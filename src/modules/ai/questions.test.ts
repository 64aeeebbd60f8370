import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { questionsIn } from './questions.ts';

describe('questionsIn', () => {
  it('splits a message asking several things (issue 46, category 6)', () => {
    assert.deepEqual(
      questionsIn('What is the price of a cleaning and do you take insurance and are you open on Saturday?'),
      ['What is the price of a cleaning', 'do you take insurance', 'are you open on Saturday?'],
    );
    assert.deepEqual(questionsIn('How much is a haircut? Where are you located?'), [
      'How much is a haircut?',
      'Where are you located?',
    ]);
    assert.deepEqual(questionsIn('kitne ka hai, aur kab khule ho?'), ['kitne ka hai', 'kab khule ho?']);
  });

  it('leaves one question whole', () => {
    for (const q of [
      'Do you do cuts and colours?',
      'I want a haircut and a facial tomorrow',
      'my tooth hurts, can I come today?',
      'what time do you open and close?',
    ])
      assert.deepEqual(questionsIn(q), [q], q);
  });
});
