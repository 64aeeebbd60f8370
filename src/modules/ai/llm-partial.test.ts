import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replySoFar } from './llm-partial.ts';

describe('a streamed JSON answer read as it comes', () => {
  it('gives the reply so far once a safe action is known, decoding escapes', () => {
    assert.equal(
      replySoFar('{"action": {"type": "answer"}, "reply": "We open at 10.\\nSee y'),
      'We open at 10.\nSee y',
    );
    assert.equal(replySoFar('{"action": "end_call", "reply": "Bye \\"now\\"", "lead": null}'), 'Bye "now"');
    assert.equal(replySoFar('{"action": {"type": "answer"}, "reply": "caf\\u00e9 and \\u00'), 'café and ');
  });
  it('waits while the action is unknown or its words may change', () => {
    assert.equal(
      replySoFar('{"reply": "Sure, booked you for 10", "action": {"type": "answer"'),
      'Sure, booked you for 10',
    );
    assert.equal(replySoFar('{"reply": "Booked!", "act'), null);
    assert.equal(replySoFar('{"action": {"type": "book", "start_at": "x"}, "reply": "Booked!'), null);
  });
});
