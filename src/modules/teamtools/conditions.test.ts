import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionErrors, hasWord, holds } from './conditions.ts';

describe('automation conditions: whole words and any-of groups', () => {
  it('contains_word matches whole words and phrases, in any case and script, not inside words', () => {
    assert.equal(hasWord('I have severe tooth pain since last night', 'pain'), true);
    assert.equal(hasWord('Pain, since yesterday.', 'pain'), true);
    assert.equal(hasWord('Do you do painless root canal?', 'pain'), false);
    assert.equal(hasWord('Flights to Spain', 'pain'), false);
    assert.equal(hasWord('my gums are  Bleeding', 'are bleeding'), true);
    assert.equal(hasWord('दांत में दर्द है', 'दर्द'), true);
    assert.equal(hasWord('दर्दनाक', 'दर्द'), false);
    assert.equal(hasWord('दर्दों से परेशान', 'दर्द'), false, 'a vowel sign continues the word');
    assert.equal(hasWord('price: $5.00 (cash)', '$5.00'), true, 'special characters are taken literally');
    assert.equal(hasWord('price: 5000', '5.00'), false);
    assert.equal(hasWord(['vip', 'urgent'], 'urgent'), true, 'a list of tags');
  });

  it('any groups hold when one of their conditions holds; the list is all of them', () => {
    const painOrBleeding = {
      any: [
        { field: 'text', op: 'contains_word' as const, value: 'pain' },
        { field: 'text', op: 'contains_word' as const, value: ['bleeding', 'swollen'] },
      ],
    };
    assert.equal(holds(painOrBleeding, { text: 'my face is swollen' }), true);
    assert.equal(holds(painOrBleeding, { text: 'painless please' }), false);
    const both = [painOrBleeding, { field: 'channel', op: 'eq' as const, value: 'whatsapp' }];
    assert.equal(
      both.every((c) => holds(c, { text: 'pain', channel: 'sms' })),
      false,
    );
    assert.deepEqual(conditionErrors([{ any: [] }]), [
      { field: 'conditions.0.any', message: 'an any group needs a condition' },
    ]);
    assert.equal(
      conditionErrors([{ any: [{ field: 'mood', op: 'eq', value: 1 }] }])[0]?.field,
      'conditions.0.any.0',
    );
  });
});
