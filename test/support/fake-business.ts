import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for a business's own system (a shop's order API, a CRM), for tool tests: each
 * route is a handler the test sets, every request is recorded (method, path, headers, raw body),
 * and a request with no handler answers 404 JSON.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The client's port: requests with the same one came over one kept-alive connection. */
  remotePort: number;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => unknown;

export interface FakeBusiness {
  url: string;
  requests: RecordedRequest[];
  routes: Map<string, Handler>;
  /** `GET /orders/5531` → handler; the key is `METHOD path` without the query. */
  on(method: string, path: string, handler: Handler): void;
  /** Resolves when `n` requests in all have arrived. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

export const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

export async function startFakeBusiness(): Promise<FakeBusiness> {
  const requests: RecordedRequest[] = [];
  const routes = new Map<string, Handler>();
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '/').split('?')[0]!;
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      remotePort: req.socket.remotePort ?? 0,
    };
    requests.push(recorded);
    for (const w of waiters.filter((w) => requests.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    const handler = routes.get(`${req.method} ${path}`);
    if (!handler) return json(res, 404, { error: 'not found' });
    await handler(recorded, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    routes,
    on: (method, path, handler) => routes.set(`${method} ${path}`, handler),
    received: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
