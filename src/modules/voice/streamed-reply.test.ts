import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DriverChunk } from './engine/types.ts';
import { speakableEnd, streamedReply } from './streamed-reply.ts';

describe('an LLM reply spoken as it streams', () => {
  it('cuts at sentence ends, and at the first clause of four words or more', () => {
    assert.equal(speakableEnd('We are open from ten, every day', 0), 'We are open from ten,'.length);
    assert.equal(speakableEnd('Yes, we are open', 0), 0);
    assert.equal(speakableEnd('Hello there. How are', 0), 'Hello there.'.length);
    assert.equal(speakableEnd('Hello there. How are you? Fine', 13), 'Hello there. How are you?'.length);
    assert.equal(speakableEnd('It costs 2.50 dollars', 0), 0);
  });

  it('says each piece as it becomes speakable, before the reply is complete', async () => {
    const s = streamedReply();
    let finish = () => {};
    const running = new Promise<void>((r) => (finish = r));
    const said: string[] = [];
    const control = new AbortController();
    const speaking = (async () => {
      for await (const c of s.speak(running, control.signal) as AsyncIterable<DriverChunk>)
        if (c.type === 'say') said.push(c.text);
    })();
    s.onReplyText('We are open from ten');
    s.onReplyText('We are open from ten, ev');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(said, ['We are open from ten,']);
    s.onReplyText('We are open from ten, every day. On Sund');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(said, ['We are open from ten,', 'every day.']);
    s.holding('One moment.');
    s.onReplyText('Something else entirely. ');
    s.onReplyText('We are open from ten, every day. On Sundays we open at noon. ');
    finish();
    await speaking;
    assert.deepEqual(said, ['We are open from ten,', 'every day.', 'On Sundays we open at noon.']);
    assert.equal(s.spoken(), 'We are open from ten, every day. On Sundays we open at noon.');
  });

  it('stops saying anything once the caller talks over the agent', async () => {
    const s = streamedReply();
    const control = new AbortController();
    const said: string[] = [];
    const speaking = (async () => {
      for await (const c of s.speak(new Promise(() => {}), control.signal))
        if (c.type === 'say') said.push(c.text);
    })();
    s.onReplyText('First sentence here. ');
    await new Promise((r) => setImmediate(r));
    control.abort();
    s.onReplyText('First sentence here. Second one. ');
    await speaking;
    assert.deepEqual(said, ['First sentence here.']);
  });
});
