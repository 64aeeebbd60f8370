/** One Server-Sent Events message. */
export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
  retry: number | undefined;
}

/**
 * Parses a text/event-stream body (the WHATWG rules: `field: value` lines, blank line ends a
 * message, `:` lines are comments such as keep-alives).
 */
export async function* parseSse(
  body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  onChunk?: () => void,
): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let id: string | undefined;
  let retry: number | undefined;
  let data: string[] = [];
  for await (const chunk of chunks(body)) {
    onChunk?.();
    buffer += decoder.decode(chunk, { stream: true });
    let nl = buffer.search(/\r\n|\r|\n/);
    while (nl >= 0) {
      // A chunk may end between the \r and \n of one line break.
      if (buffer[nl] === '\r' && nl === buffer.length - 1) break;
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (data.length) yield { event: event || 'message', id, data: data.join('\n'), retry };
        event = '';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id' && !value.includes('\0')) id = value;
        else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
      }
      nl = buffer.search(/\r\n|\r|\n/);
    }
  }
}

/**
 * The chunks of a body. A ReadableStream is read with its reader: Safari's streams are not async
 * iterable. Leaving early (the consumer stops) cancels the stream.
 */
async function* chunks(
  body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (!('getReader' in body)) {
    yield* body;
    return;
  }
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
