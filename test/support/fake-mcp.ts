import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * A shop's MCP server: the SDK's own server over its streamable HTTP transport (stateless: a
 * server and a transport per request, as the SDK documents), on 127.0.0.1. Its tools:
 * `get_order` (read-only), `cancel_order` (a write), `slow_lookup` (answers after `slowMs`) and
 * `broken` (answers `isError`); or, with `typedTools`, eleven tools whose zod shapes give the
 * schemas real servers send (nullable, unions, records, enums, nested objects, arrays, formats),
 * each answering the arguments it received. Every HTTP request's headers and JSON-RPC method are kept.
 */
export interface FakeMcp {
  url: string;
  requests: Array<{ headers: IncomingHttpHeaders; method: string; body: string }>;
  cancelled: string[];
  slowMs: number;
  close(): Promise<void>;
}

const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value) }] });

/** The typed catalogue's tool names, in the order the server lists them. */
export const TYPED_TOOLS = [
  'find_customer',
  'book_slot',
  'take_payment',
  'tag_order',
  'set_stock',
  'ship_parcel',
  'schedule_call',
  'rate_visit',
  'list_stores',
  'update_address',
  'lookup_sku',
] as const;

const echo =
  (tool: string) =>
  async (args: unknown): Promise<{ content: Array<{ type: 'text'; text: string }> }> =>
    text({ tool, received: args });

/** Eleven tools with the schema shapes zod gives (the SDK turns them into JSON Schema draft-07). */
export function registerTypedTools(server: McpServer): void {
  const read = { readOnlyHint: true };
  server.registerTool(
    'find_customer',
    {
      description: 'Finds a customer by email or phone.',
      inputSchema: { email: z.string().email().nullable(), phone: z.string().nullable().optional() },
      annotations: read,
    },
    echo('find_customer'),
  );
  server.registerTool(
    'book_slot',
    {
      description: 'Books a delivery slot: a part of the day or an hour.',
      inputSchema: {
        order_id: z.string(),
        slot: z.union([z.enum(['morning', 'evening']), z.number().int().min(8).max(18)]),
      },
    },
    echo('book_slot'),
  );
  server.registerTool(
    'take_payment',
    {
      description: 'Records how an order is paid.',
      inputSchema: {
        payment: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('card'), last4: z.string().regex(/^\d{4}$/) }),
          z.object({ kind: z.literal('cash') }),
        ]),
      },
    },
    echo('take_payment'),
  );
  server.registerTool(
    'tag_order',
    {
      description: 'Sets labels on an order.',
      inputSchema: { order_id: z.string(), tags: z.record(z.string(), z.string().max(20)) },
    },
    echo('tag_order'),
  );
  server.registerTool(
    'set_stock',
    {
      description: 'Sets the stock of each SKU given: {"sku": count}.',
      inputSchema: z.object({}).catchall(z.number().int().min(0)),
    },
    echo('set_stock'),
  );
  server.registerTool(
    'ship_parcel',
    {
      description: 'Ships a parcel.',
      inputSchema: {
        address: z.object({ line1: z.string(), zip: z.string().regex(/^\d{5}$/) }),
        items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })).min(1),
      },
    },
    echo('ship_parcel'),
  );
  server.registerTool(
    'schedule_call',
    {
      description: 'Schedules a call back.',
      inputSchema: { at: z.string().datetime(), minutes: z.number().default(15) },
    },
    echo('schedule_call'),
  );
  server.registerTool(
    'rate_visit',
    {
      description: 'Records a rating of a visit.',
      inputSchema: { mood: z.enum(['happy', 'neutral', 'sad']), score: z.number().int().min(1).max(5) },
      annotations: read,
    },
    echo('rate_visit'),
  );
  server.registerTool(
    'list_stores',
    { description: 'Lists the stores.', inputSchema: {}, annotations: read },
    echo('list_stores'),
  );
  server.registerTool(
    'update_address',
    {
      description: "Changes a customer's address, or removes it (null).",
      inputSchema: {
        address: z.object({ line1: z.string(), city: z.string() }).nullable(),
        languages: z.array(z.enum(['en', 'fr', 'de'])).optional(),
      },
    },
    echo('update_address'),
  );
  server.registerTool(
    'lookup_sku',
    {
      description: 'Looks up a product by SKU.',
      inputSchema: {
        sku: z
          .string()
          .regex(/^[A-Z]{3}-\d{3}$/)
          .describe('The SKU, like ABC-123'),
      },
      annotations: read,
    },
    echo('lookup_sku'),
  );
}

export async function startFakeMcp(options: { typedTools?: boolean } = {}): Promise<FakeMcp> {
  const fake: FakeMcp = { url: '', requests: [], cancelled: [], slowMs: 0, close: async () => {} };
  const build = () => {
    const server = new McpServer({ name: 'corner-shop', version: '1.0.0' });
    if (options.typedTools) {
      registerTypedTools(server);
      return server;
    }
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
