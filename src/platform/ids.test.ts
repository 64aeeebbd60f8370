import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasPrefix, newId } from './ids.ts';

describe('ids', () => {
  it('are a prefix and a ULID', () => {
    const id = newId('conv');
    assert.match(id, /^conv_[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.ok(hasPrefix(id, 'conv'));
    assert.ok(!hasPrefix(id, 'ct'));
  });

  it('encode the creation time in their first ten characters', () => {
    const before = Date.now();
    const id = newId('msg').slice(4);
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const ms = [...id.slice(0, 10)].reduce((n, c) => n * 32 + alphabet.indexOf(c), 0);
    assert.ok(ms >= before && ms <= Date.now(), `${ms} is the creation time`);
  });

  it('sort in creation order and never repeat, even within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('evt'));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });
});
