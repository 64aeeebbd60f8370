import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * A shop's MCP server: the SDK's own server over its streamable HTTP transport (stateless: a
 * server and a transport per request, as the SDK documents), on 127.0.0.1. Its tools:
 * `get_order` (read-only), `cancel_order` (a write), `slow_lookup` (answers after `slowMs`) and
 * `broken` (answers `isError`). Every HTTP request's headers and JSON-RPC method are kept.
 */
export interface FakeMcp {
  url: string;
  requests: Array<{ headers: IncomingHttpHeaders; method: string; body: string }>;
  cancelled: string[];
  slowMs: number;
  close(): Promise<void>;
}

const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value) }] });

export async function startFakeMcp(): Promise<FakeMcp> {
  const fake: FakeMcp = { url: '', requests: [], cancelled: [], slowMs: 0, close: async () => {} };
  const build = () => {
    const server = new McpServer({ name: 'corner-shop', version: '1.0.0' });
    server.registerTool(
      'get_order',
      {
        description: 'Looks up an order by its number.',
        inputSchema: { order_id: z.string().describe('The order number') },
        annotations: { readOnlyHint: true },
      },
      async ({ order_id }) =>
        text({ id: order_id, status: order_id === '5531' ? 'shipped' : 'processing', eta: 'Friday' }),
    );
    server.registerTool(
      'cancel_order',
      {
        description: 'Cancels an order.',
        inputSchema: { order_id: z.string().describe('The order number') },
      },
      async ({ order_id }) => {
        fake.cancelled.push(order_id);
        return text({ id: order_id, status: 'cancelled' });
      },
    );
    server.registerTool(
      'slow_lookup',
      { description: 'A slow look-up.', inputSchema: {}, annotations: { readOnlyHint: true } },
      async () => {
        await new Promise((r) => setTimeout(r, fake.slowMs));
        return text({ ok: true });
      },
    );
    server.registerTool(
      'broken',
      { description: 'Always fails.', inputSchema: {}, annotations: { readOnlyHint: true } },
      async () => ({ content: [{ type: 'text' as const, text: 'database unavailable' }], isError: true }),
    );
    return server;
  };
  const http: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown;
    try {
      parsed = body ? JSON.parse(body) : undefined;
    } catch {
      parsed = undefined;
    }
    fake.requests.push({
      headers: req.headers,
      method: (parsed as { method?: string } | undefined)?.method ?? req.method ?? '',
      body,
    });
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const server = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      transport.close();
      server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, parsed);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  fake.close = () =>
    new Promise((r) => {
      http.closeAllConnections();
      http.close(() => r());
    });
  return fake;
}
