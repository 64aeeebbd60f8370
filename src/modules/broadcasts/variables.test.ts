import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBroadcastVariables, recipientVariables } from './variables.ts';

const ada = { name: 'Ada', phone: '+919876543210', email: null, attributes: { city: 'Pune', visits: 3 } };

describe('broadcast variables', () => {
  it('accepts named placeholders left to contact fields and attributes', () => {
    assert.deepEqual(checkBroadcastVariables('Hi {{name}} from {{city}}', {}), []);
    assert.deepEqual(recipientVariables('Hi {{name}} from {{city}}', {}, ada), {
      values: { name: 'Ada', city: 'Pune' },
    });
  });

  it('fills contact references inside given values, with defaults', () => {
    const body = 'Hi {{1}}, {{2}} visits';
    const vars = { '1': '{{name|there}}', '2': '{{attributes.visits}}' };
    assert.deepEqual(checkBroadcastVariables(body, vars), []);
    assert.deepEqual(recipientVariables(body, vars, ada), { values: { '1': 'Ada', '2': '3' } });
    assert.deepEqual(recipientVariables(body, vars, { ...ada, name: null }), {
      values: { '1': 'there', '2': '3' },
    });
  });

  it('reports a field the contact lacks instead of sending a blank', () => {
    const r = recipientVariables('Mail {{email}}', {}, ada);
    assert.ok('error' in r && r.error.includes('email'));
    const r2 = recipientVariables('Hi {{1}}', { '1': 'from {{attributes.zone}}' }, ada);
    assert.ok('error' in r2 && r2.error.includes('attributes.zone'));
  });

  it('rejects missing positional values, unknown keys and unknown references', () => {
    const errors = checkBroadcastVariables('Hi {{1}} {{2}}', { '1': 'x', '3': 'y' });
    assert.deepEqual(
      errors.map((e) => e.field),
      ['variables.2', 'variables.3'],
    );
    const bad = checkBroadcastVariables('Hi {{1}}', { '1': '{{nickname}}' });
    assert.equal(bad[0].field, 'variables.1');
    assert.match(bad[0].message, /not a contact field/);
  });
});
