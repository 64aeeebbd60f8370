import type { Tool } from '../tools/index.ts';
import type { DriverChunk } from './engine/types.ts';

/**
 * An LLM reply spoken while it is generated: the words streamed so far are cut into what can be
 * said now (whole sentences, and the first clause as soon as it is complete) and handed to the
 * session as `say` chunks; a slow workspace tool's holding phrase is said if nothing else was yet.
 * `spoken` is what was handed over, so the driver knows what the caller has heard of the reply.
 */
export function streamedReply() {
  const queue: string[] = [];
  let spoken = '';
  let said = 0;
  let done = false;
  let wake = () => {};
  const poke = () => wake();
  return {
    /** Given to the LLM as `onReplyText`. A reply that starts again differently is not spoken early. */
    onReplyText(soFar: string) {
      if (!soFar.startsWith(spoken)) return;
      const end = speakableEnd(soFar, spoken.length);
      if (end <= spoken.length) return;
      const piece = soFar.slice(spoken.length, end).trim();
      spoken = soFar.slice(0, end);
      if (piece) queue.push(piece);
      poke();
    },
    /** A tool's holding phrase, said only before the reply began. */
    holding(phrase: string) {
      if (spoken || said) return;
      queue.push(phrase);
      poke();
    },
    spoken: () => spoken.trim(),
    /** The chunks to say until `running` settles (or the caller talks over the agent). */
    async *speak(running: Promise<unknown>, signal: AbortSignal): AsyncGenerator<DriverChunk> {
      const settle = () => {
        done = true;
        poke();
      };
      void running.then(settle, settle);
      const onAbort = () => poke();
      signal.addEventListener('abort', onAbort);
      try {
        while (!signal.aborted) {
          const text = queue.shift();
          if (text !== undefined) {
            said++;
            yield { type: 'say', text };
            continue;
          }
          if (done) return;
          await new Promise<void>((r) => (wake = r));
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

/**
 * Where the text ready to be spoken ends, from `from`: after the last whole sentence, or, at the
 * start of the reply, after its first clause (a comma, semicolon or colon after four words or more).
 */
export function speakableEnd(text: string, from: number): number {
  const rest = text.slice(from);
  const sentence = /[.!?…।](?=\s)/g;
  let end = -1;
  for (let m = sentence.exec(rest); m; m = sentence.exec(rest)) end = m.index + 1;
  if (end < 0 && from === 0) {
    const clause = /[,;:](?=\s)/.exec(rest);
    if (clause && rest.slice(0, clause.index).trim().split(/\s+/).length >= 4) end = clause.index + 1;
  }
  return end < 0 ? from : from + end;
}

/** The holding phrase of a workspace tool that runs longer than its `holding_after_ms`. */
export function holdingAfter(running: Promise<unknown>, tool: Tool, say: (phrase: string) => void) {
  const timer = setTimeout(
    () => say(tool.voice.holding_phrase ?? DEFAULT_HOLDING_PHRASE),
    tool.voice.holding_after_ms,
  );
  void running.finally(() => clearTimeout(timer)).catch(() => {});
}

const DEFAULT_HOLDING_PHRASE = 'One moment while I check that.';
