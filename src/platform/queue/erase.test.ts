import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeJob, namer } from './erase.ts';

describe("an erasure's verdict on a job", () => {
  const names = namer({ ids: ['msg_A', 'conv_X'], texts: ['+919812300457', 'conv_X', 'Asha@Example.com'] });

  it('deletes a finished job naming the person anywhere, and keeps one that does not', () => {
    const finished = (payload: unknown, key: string | null = null, error: string | null = null) =>
      judgeJob({ payload, key, error, finished: true }, names).action;
    assert.equal(finished({ conversationId: 'conv_X', text: 'hi' }), 'delete');
    assert.equal(finished({ messageIds: ['msg_B', 'msg_A'] }), 'delete');
    assert.equal(finished({ nested: { url: '/app/c/conv_X' } }), 'delete');
    assert.equal(finished({ to: '919812300457' }), 'keep');
    assert.equal(finished({ to: 'asha@example.com' }), 'delete', 'any case');
    assert.equal(finished({ id: 'x' }, 'ai-reply:conv_X'), 'delete');
    assert.equal(finished({ id: 'x' }, null, 'failed to send to +919812300457'), 'delete');
    assert.equal(finished({ messageIds: ['msg_B'] }), 'keep');
  });

  it('deletes a pending job about them, and takes their ids out of a list shared with others', () => {
    const pending = (payload: unknown) =>
      judgeJob({ payload, key: null, error: null, finished: false }, names);
    assert.deepEqual(pending({ conversationId: 'conv_X', until: 'soon' }), { action: 'delete' });
    assert.deepEqual(
      pending({ messageIds: ['msg_A'], attempt: 1 }),
      { action: 'delete' },
      'the list is left empty',
    );
    assert.deepEqual(pending({ messageIds: ['msg_B', 'msg_A', 'msg_C'], attempt: 1 }), {
      action: 'update',
      payload: { messageIds: ['msg_B', 'msg_C'], attempt: 1 },
    });
    assert.deepEqual(pending({ messageIds: ['msg_B'] }), { action: 'keep' });
  });
});
