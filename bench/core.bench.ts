/**
 * Issue 2's goal: an authenticated, rate-limited `GET /v1/me` against a bare Fastify route that
 * returns the same JSON, measured in one run on the same machine; p99 at a fixed 1,000 req/s;
 * server RSS after start.
 */
import Fastify from 'fastify';
import { fmt, load, raiseLimits, startServer } from './support.ts';

const server = await startServer();
const rssAfterStart = server.rssMb();
const headers = { authorization: `Bearer ${server.testKey}` };
// The limiter still counts every request; the window is made large enough that none is refused.
raiseLimits(server.dataDir);
const me = await (await fetch(`${server.url}/v1/me`, { headers })).json();

const bare = Fastify();
bare.get('/v1/me', async () => me);
const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

await load({ url: `${bareUrl}/v1/me`, duration: 6 }); // warm-up: both sides get the same JIT time
const bareMax = await load({ url: `${bareUrl}/v1/me` });
await bare.close();

await load({ url: `${server.url}/v1/me`, headers, duration: 6 });
const parleyMax = await load({ url: `${server.url}/v1/me`, headers });
const parleyFixed = await load({ url: `${server.url}/v1/me`, headers, overallRate: 1000, connections: 20 });
const rssAfterLoad = server.rssMb();
await server.stop();

console.log('core: GET /v1/me (SQLite, authenticated, rate-limited) vs a bare Fastify route');
console.log(`  bare route, max:          ${fmt(bareMax)}`);
console.log(`  Parley /v1/me, max:       ${fmt(parleyMax)}`);
console.log(
  `  ratio:                    ${((parleyMax.rps / bareMax.rps) * 100).toFixed(1)}% of the bare route (goal >= 60%)`,
);
console.log(`  Parley at 1,000 req/s:    ${fmt(parleyFixed)} (goal p99 < 10 ms)`);
console.log(
  `  server RSS after start:   ${rssAfterStart.toFixed(1)} MB (goal < 150 MB); after load ${rssAfterLoad.toFixed(1)} MB`,
);
