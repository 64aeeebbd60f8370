import { type Config, ConfigError, loadConfig } from './platform/config.ts';
import { writeFirstStartKeys } from './platform/first-start-keys.ts';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Parley cannot start. ${err.message}`);
    process.exit(1);
  }
  throw err;
}

// PARLEY_PROCESSES > 1: this process only starts and stops the server processes (cluster.ts).
const { isClusterPrimary, isClusterWorker, runPrimary } = await import('./platform/cluster.ts');
if (isClusterPrimary(config)) await runPrimary(config);

// Loaded only once the configuration is known good, so a bad one is refused at once.
const { startParley } = await import('./server.ts');
const { analyzeWhereMissing } = await import('./platform/db/statistics.ts');
const parley = await startParley(config).catch((err: Error) => {
  console.error(`Parley cannot start: ${err.message}`);
  process.exit(1);
});

// Tables that never had planner statistics (autovacuum off, a restored dump) get them now, in the
// background: searches are planned from them (src/platform/db/statistics.ts).
if (!isClusterWorker() || Number(process.env.PARLEY_PROCESS_INDEX ?? 0) === 0)
  analyzeWhereMissing(parley.ctx).catch((err: Error) =>
    parley.ctx.logger.warn({ err: err.message }, 'planner statistics could not be gathered'),
  );

const base = config.publicUrl ?? `http://localhost:${config.port}`;
const storage = config.databaseUrl ? 'PostgreSQL' : `SQLite (${config.dataDir})`;
if (parley.url) {
  const which = isClusterWorker()
    ? `, process ${Number(process.env.PARLEY_PROCESS_INDEX ?? 0) + 1} of ${config.processes}, pid ${process.pid}`
    : '';
  console.log(
    `Parley is listening on http://${config.host}:${new URL(parley.url).port} (role ${config.role}, storage ${storage}${which}).`,
  );
  console.log(`API docs: ${base}/docs   OpenAPI: ${base}/openapi.json   Inbox: ${base}/app`);
} else {
  console.log(`Parley worker started (storage ${storage}).`);
}
if (parley.firstRun) {
  const kept = writeFirstStartKeys(config.dataDir, parley.firstRun);
  console.log(
    [
      '',
      'First start: created the "Default workspace". Its keys are shown this once; store them now.',
      'path' in kept
        ? `They are also in ${kept.path} (readable by its owner only): delete it once they are stored.`
        : `(They could not be kept in ${config.dataDir}: ${kept.error.message})`,
      `  workspace: ${parley.firstRun.workspaceId}`,
      `  live key:  ${parley.firstRun.liveKey}`,
      `  test key:  ${parley.firstRun.testKey}`,
      '',
      `Try: curl -H "Authorization: Bearer ${parley.firstRun.testKey}" ${base}/v1/me`,
      '',
      `To sign in to the inbox (${base}/app), add a user with a password (in test mode, with the test key):`,
      `  curl -H "Authorization: Bearer ${parley.firstRun.testKey}" -H "Content-Type: application/json" \\`,
      `    -d '{"name": "Admin", "email": "admin@example.com", "role": "admin", "password": "choose a password"}' ${base}/v1/users`,
      '',
    ].join('\n'),
  );
}

// SIGTERM (a deploy, an orchestrator): drain first, so live calls may finish (up to
// PARLEY_DRAIN_SECONDS) while balancers see `/readyz` say `draining`; then close. SIGINT (Ctrl-C)
// closes at once. A second signal exits now (in one of several processes, not the same signal
// within 2 s: Ctrl-C reaches it from the terminal and from the primary both).
let closing = 0;
const shutdown = (signal: NodeJS.Signals) => {
  if (closing) {
    if (isClusterWorker() && Date.now() - closing < 2_000) return;
    process.exit(1);
  }
  closing = Date.now();
  parley.ctx.logger.info({ signal }, 'shutting down');
  (signal === 'SIGTERM' ? parley.drain() : Promise.resolve())
    .then(() => parley.close())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => shutdown(signal));
// One of several processes whose primary is gone (killed): drain and stop as on SIGTERM.
if (isClusterWorker()) process.on('disconnect', () => shutdown('SIGTERM'));
