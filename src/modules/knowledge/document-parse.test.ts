import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../platform/errors.ts';
import { DOCUMENT_QUEUE, DOCUMENT_WORKERS, inTurn } from './document-parse.ts';

describe('document reads take turns', () => {
  it(`runs at most ${DOCUMENT_WORKERS} at once, queues ${DOCUMENT_QUEUE}, and refuses the next with a 429`, async () => {
    let now = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    const read = () =>
      inTurn(async () => {
        now++;
        most = Math.max(most, now);
        await new Promise<void>((r) => gates.push(r));
        now--;
        return 'text';
      });
    const all = Array.from({ length: DOCUMENT_WORKERS + DOCUMENT_QUEUE }, read);
    await new Promise((r) => setImmediate(r));
    assert.equal(now, DOCUMENT_WORKERS);
    await assert.rejects(read(), (err: unknown) => err instanceof ApiError && err.status === 429);
    // Each read that ends lets the next waiting one start, never more than the workers at once.
    while (gates.length) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(new Set(await Promise.all(all)), new Set(['text']));
    assert.equal(most, DOCUMENT_WORKERS);
    // All turns given back: a new read starts at once.
    assert.equal(await inTurn(async () => 'again'), 'again');
  });
});
