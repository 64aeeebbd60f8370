import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSse, type SseMessage } from '../src/index.ts';

async function collect(chunks: string[]): Promise<SseMessage[]> {
  async function* source() {
    for (const c of chunks) yield new TextEncoder().encode(c);
  }
  const out: SseMessage[] = [];
  for await (const m of parseSse(source())) out.push(m);
  return out;
}

describe('parseSse', () => {
  it('parses id, event and data, skipping comments', async () => {
    const msgs = await collect([
      ': connected\nretry: 3000\n\n',
      'id: evt_1\nevent: contact.created\ndata: {"a":1}\n\n',
    ]);
    assert.deepEqual(msgs, [{ event: 'contact.created', id: 'evt_1', data: '{"a":1}', retry: 3000 }]);
  });

  it('joins multi-line data and survives chunks split anywhere, CRLF included', async () => {
    const text = 'id: e1\r\ndata: line one\r\ndata: line two\r\n\r\nid: e2\ndata:x\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const msgs = await collect([text.slice(0, cut), text.slice(cut)]);
      assert.equal(msgs.length, 2, `cut at ${cut}`);
      assert.equal(msgs[0].data, 'line one\nline two');
      assert.equal(msgs[0].event, 'message');
      assert.equal(msgs[1].id, 'e2');
      assert.equal(msgs[1].data, 'x');
    }
  });

  it('drops a message without data and an unterminated last message', async () => {
    assert.deepEqual(await collect(['event: ping\n\n', 'data: half']), []);
  });
});
