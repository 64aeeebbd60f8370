import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests. Each path behaves one way:
 * `/ok` 200, `/fail` 500, `/gone` 410, `/redirect` 302, `/hang` never answers, `/reset` drops
 * the connection, `/huge` streams 5 MB, `/flaky/<n>/<name>` fails n times then answers 200.
 */
export async function startReceiver() {
  const received: Received[] = [];
  const flaky = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const [, kind, n, name] = path.split('/');
      if (kind === 'ok') return res.end('thanks');
      if (kind === 'fail') return res.writeHead(500).end('boom');
      if (kind === 'gone') return res.writeHead(410).end('gone');
      if (kind === 'redirect')
        return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
      if (kind === 'hang') {
        hanging.add(res);
        return;
      }
      if (kind === 'reset') return req.socket.destroy();
      if (kind === 'huge') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const block = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        const pump = () => {
          while (sent < 5 * 1024 * 1024) {
            sent += block.length;
            if (!res.write(block)) return res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => {});
        return pump();
      }
      if (kind === 'flaky') {
        const key = `${n}/${name}`;
        const seen = (flaky.get(key) ?? 0) + 1;
        flaky.set(key, seen);
        return seen <= Number(n) ? res.writeHead(503).end('not yet') : res.end('finally');
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    at: (prefix: string) => received.filter((r) => r.path.startsWith(prefix)),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
