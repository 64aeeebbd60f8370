import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local servers speaking Anthropic's Messages API and Google's Gemini API, enough for a model
 * check: a streamed text answer (SSE, each protocol's own events), a function call when tools are
 * offered, a JSON object otherwise. A model named `missing` is answered 404, as the real ones do.
 */
export interface FakeProtocolServer {
  url: string;
  requests: Array<{ path: string; body: Record<string, any> }>;
  close(): Promise<void>;
}

async function serve(
  handle: (path: string, body: Record<string, any>, res: ServerResponse) => void,
): Promise<FakeProtocolServer> {
  const requests: FakeProtocolServer['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    const body = JSON.parse((await read(req)) || '{}');
    const path = req.url ?? '';
    requests.push({ path, body });
    handle(path, body, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const sse = (res: ServerResponse, events: Array<[string | null, unknown]>) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const [event, data] of events)
    res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
  res.end();
};
const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** POST /v1/messages, as Anthropic answers it. */
export function startFakeAnthropic(): Promise<FakeProtocolServer> {
  return serve((path, body, res) => {
    if (path !== '/v1/messages') return json(res, 404, { type: 'error', error: { type: 'not_found_error' } });
    if (body.model === 'missing')
      return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'model: missing' } });
    const usage = { input_tokens: 10, output_tokens: 2 };
    const message = { id: 'msg_1', type: 'message', role: 'assistant', model: body.model, usage };
    if (body.stream)
      return sse(res, [
        ['message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null } }],
        [
          'content_block_start',
          { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        ],
        [
          'content_block_delta',
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'O' } },
        ],
        [
          'content_block_delta',
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'K' } },
        ],
        ['content_block_stop', { type: 'content_block_stop', index: 0 }],
        [
          'message_delta',
          { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } },
        ],
        ['message_stop', { type: 'message_stop' }],
      ]);
    const tool = body.tools?.[0];
    if (tool)
      return json(res, 200, {
        ...message,
        content: [
          {
            type: 'tool_use',
            id: 'toolu_1',
            name: tool.name,
            input: tool.name === 'current_time' ? { city: 'Mumbai' } : { ok: true },
          },
        ],
        stop_reason: 'tool_use',
      });
    return json(res, 200, {
      ...message,
      content: [{ type: 'text', text: '{"ok": true}' }],
      stop_reason: 'end_turn',
    });
  });
}

/** POST /v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse, as Gemini answers them. */
export function startFakeGemini(): Promise<FakeProtocolServer> {
  return serve((path, body, res) => {
    const m = /^\/v1beta\/models\/([^:]+):(generateContent|streamGenerateContent)/.exec(path);
    if (!m) return json(res, 404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } });
    if (m[1] === 'missing')
      return json(res, 404, {
        error: { code: 404, message: 'models/missing is not found', status: 'NOT_FOUND' },
      });
    const usageMetadata = { promptTokenCount: 10, candidatesTokenCount: 2, totalTokenCount: 12 };
    const answer = (parts: unknown[]) => ({
      candidates: [{ content: { parts, role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata,
    });
    if (m[2] === 'streamGenerateContent')
      return sse(res, [
        [null, { candidates: [{ content: { parts: [{ text: 'O' }], role: 'model' }, index: 0 }] }],
        [null, answer([{ text: 'K' }])],
      ]);
    const declared = body.tools?.[0]?.functionDeclarations?.[0];
    if (declared)
      return json(res, 200, answer([{ functionCall: { name: declared.name, args: { city: 'Mumbai' } } }]));
    return json(res, 200, answer([{ text: '{"ok": true}' }]));
  });
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
