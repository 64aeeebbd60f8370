/**
 * The server of the CSV benchmark (bench/reports.bench.ts), in its own process so its maxRSS is
 * the export's alone: opens the benchmark's data directory, listens, says where, and on `done`
 * answers its maxRSS and exits.
 */
import { loadConfig } from '../src/platform/config.ts';
import { startParley } from '../src/server.ts';

const config = loadConfig({
  PARLEY_DATA_DIR: process.env.BENCH_DATA_DIR as string,
  PARLEY_ADMIN_TOKEN: process.env.BENCH_ADMIN as string,
  PARLEY_SECRET_KEY: 'YmVuY2gtc2VjcmV0LWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE=',
  PARLEY_LOG_LEVEL: 'warn',
  PARLEY_ROLE: 'api',
  PORT: '0',
  HOST: '127.0.0.1',
});
const parley = await startParley(config, { listen: false, bootstrap: false });
const url = await parley.app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ url, rssKb: Math.round(process.memoryUsage().rss / 1024) });
process.on('message', async () => {
  process.send?.({ maxRssKb: process.resourceUsage().maxRSS });
  await parley.close().catch(() => {});
  process.exit(0);
});
