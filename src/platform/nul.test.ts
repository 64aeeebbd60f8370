import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wellFormedJson } from './nul.ts';

const parse = (text: string) => wellFormedJson(JSON.parse(text), text);

describe('wellFormedJson', () => {
  it('makes each lone surrogate U+FFFD, in values and keys, at any depth', () => {
    assert.deepEqual(parse('{"a":"\\ud800x\\udfff","b":[{"\\udc00k":"y\\ud83d"}]}'), {
      a: '\uFFFDx\uFFFD',
      b: [{ '\uFFFDk': 'y\uFFFD' }],
    });
  });

  it('keeps surrogate pairs (an emoji) and bodies without a surrogate escape as they are', () => {
    assert.deepEqual(parse('{"a":"\\ud83d\\ude00 ok"}'), { a: '😀 ok' });
    const value = { a: 'plain' };
    assert.equal(wellFormedJson(value, '{"a":"plain"}'), value);
  });

  it('keeps a __proto__ key an own property, as JSON.parse does', () => {
    const out = parse('{"__proto__":{"x":"\\ud800"}}') as Record<string, unknown>;
    assert.ok(Object.hasOwn(out, '__proto__'));
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });
});
