import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';

/**
 * A load balancer in front of several Parley processes, as a deployment has one: plain HTTP
 * requests and WebSocket upgrades are each passed to the process `route` picks (a test decides,
 * e.g. "streams to B, everything else to A"), and every pass is logged. Requests keep their path
 * and headers, so a signature over the public URL (PARLEY_PUBLIC_URL = this balancer) checks out
 * on whichever process gets it.
 */
export interface Balancer {
  url: string;
  route: {
    http: (req: IncomingMessage) => string;
    upgrade: (req: IncomingMessage) => string;
  };
  log: { kind: 'http' | 'upgrade'; method: string; path: string; target: string }[];
  close(): Promise<void>;
}

export async function startBalancer(initial: Balancer['route']): Promise<Balancer> {
  const sockets = new Set<import('node:net').Socket>();
  const balancer: Balancer = {
    url: '',
    route: initial,
    log: [],
    close: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((req, res) => {
    const target = balancer.route.http(req);
    balancer.log.push({ kind: 'http', method: req.method ?? '', path: req.url ?? '', target });
    const t = new URL(target);
    const upstream = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    const target = balancer.route.upgrade(req);
    balancer.log.push({ kind: 'upgrade', method: req.method ?? '', path: req.url ?? '', target });
    const t = new URL(target);
    sockets.add(socket as import('node:net').Socket);
    const upstream = connect(Number(t.port), t.hostname, () => {
      let lines = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      upstream.write(`${lines}\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    sockets.add(upstream);
    const drop = () => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('error', drop);
    upstream.on('close', drop);
    socket.on('error', drop);
    socket.on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  balancer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return balancer;
}
