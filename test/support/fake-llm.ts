import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible server (POST /v1/chat/completions) for tests: it answers from a
 * script, both plainly and as Server-Sent Events when the request asks to stream, and records
 * every request it receives.
 */
export type Scripted =
  | ({ content: string } & Paced)
  | { tool_calls: Array<{ name: string; arguments: string }> }
  | { status: number; body?: string; headers?: Record<string, string> }
  /** A 200 whose body is not the protocol: an HTML error page, invalid JSON. */
  | { raw: string; contentType: string }
  /** Streams part of the content, then drops the connection. */
  | { cut: string }
  /** Streams forever (until the client goes away). */
  | { endless: true }
  | { hang: true };

/**
 * A streamed answer's pacing: the first token after `firstTokenMs`, then `tokensPerSecond`
 * (a token is about 4 characters). Without it the whole answer is sent at once.
 */
export interface Paced {
  firstTokenMs?: number;
  tokensPerSecond?: number;
}

/** A model's structured answer: the reply and the action as separate fields (issue 32). */
export function say(
  reply: string,
  action: Record<string, unknown> = { type: 'answer' },
  lead: Record<string, string> | null = null,
): Scripted {
  return { content: JSON.stringify({ reply, action, lead }) };
}

export interface FakeLlm {
  url: string;
  requests: Array<Record<string, any>>;
  script: Scripted[];
  /**
   * Awaited after a request is recorded and before it is answered: a test runs something at the
   * moment the model is asked (the caller has read what it answers) and before its answer arrives.
   */
  onRequest?: () => Promise<void>;
  /** When each streamed answer sent its last token (performance.now()), in order. */
  lastTokenAt: number[];
  /** Streamed answers whose client went away before their last token (a barge-in's abort). */
  abandoned: number;
  close(): Promise<void>;
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const requests: Array<Record<string, any>> = [];
  const script: Scripted[] = [];
  let n = 0;
  const fake: FakeLlm = {
    url: '',
    requests,
    script,
    lastTokenAt: [],
    abandoned: 0,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  const server: Server = createServer(async (req, res) => {
    const body = JSON.parse((await read(req)) || '{}');
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    requests.push({ ...body, headers: req.headers, receivedAt: performance.now() });
    await fake.onRequest?.();
    const next = script.shift() ?? { content: 'OK' };
    if ('hang' in next) return; // never answers: the client's timeout must fire
    if ('status' in next) {
      res
        .writeHead(next.status, { 'content-type': 'application/json', ...next.headers })
        .end(next.body ?? '{"error":{"message":"upstream exploded","type":"server_error"}}');
      return;
    }
    if ('raw' in next) {
      res.writeHead(200, { 'content-type': next.contentType }).end(next.raw);
      return;
    }
    const id = `chatcmpl-${++n}`;
    const created = Math.floor(Date.now() / 1000);
    const toolCalls =
      'tool_calls' in next
        ? next.tool_calls.map((c, i) => ({
            index: i,
            id: `call_${n}_${i}`,
            type: 'function',
            function: { name: c.name, arguments: c.arguments },
          }))
        : undefined;
    const finish = toolCalls ? 'tool_calls' : 'stop';
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const send = (delta: unknown, finish_reason: string | null = null) =>
        res.write(
          `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason }] })}\n\n`,
        );
      send({ role: 'assistant', content: '' });
      if ('cut' in next) {
        send({ content: next.cut });
        res.destroy();
        return;
      }
      if ('endless' in next) {
        const timer = setInterval(() => send({ content: 'and so on ' }), 20);
        res.on('close', () => clearInterval(timer));
        return;
      }
      let gone = false;
      res.on('close', () => {
        gone = true;
      });
      if ('content' in next)
        await streamContent(
          next,
          (piece) => send({ content: piece }),
          () => gone,
        );
      if (gone) {
        fake.abandoned++;
        return;
      }
      fake.lastTokenAt.push(performance.now());
      for (const c of toolCalls ?? []) {
        send({
          tool_calls: [
            {
              index: c.index,
              id: c.id,
              type: 'function',
              function: { name: c.function.name, arguments: '' },
            },
          ],
        });
        send({ tool_calls: [{ index: c.index, function: { arguments: c.function.arguments } }] });
      }
      send({}, finish);
      // As OpenAI's API: a stream tells its usage only when `stream_options.include_usage` asks.
      if (body.stream_options?.include_usage)
        res.write(
          `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })}\n\n`,
        );
      res.end('data: [DONE]\n\n');
      return;
    }
    if ('cut' in next || 'endless' in next) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"chatcmpl-x","choices":[');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: 'content' in next ? next.content : null,
              ...(toolCalls ? { tool_calls: toolCalls.map(({ index: _i, ...c }) => c) } : {}),
            },
            finish_reason: finish,
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${port}/v1`;
  return fake;
}

/** Sends the content in tokens of about 4 characters, paced as asked (all at once without pacing). */
async function streamContent(
  next: { content: string } & Paced,
  send: (piece: string) => void,
  gone: () => boolean,
) {
  const tokens = next.content.match(/.{1,4}/gs) ?? [];
  if (!next.firstTokenMs && !next.tokensPerSecond) {
    for (const piece of next.content.match(/.{1,8}/gs) ?? []) send(piece);
    return;
  }
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await pause(next.firstTokenMs ?? 0);
  for (const [i, token] of tokens.entries()) {
    if (gone()) return;
    if (i > 0 && next.tokensPerSecond) await pause(1000 / next.tokensPerSecond);
    send(token);
  }
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
