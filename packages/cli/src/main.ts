/** The `parley` binary: runs one command line with the real stdio and exits with its code. */
import { run } from './cli.ts';

const controller = new AbortController();
// Ctrl-C ends `webhooks listen` and `chat` cleanly; a second Ctrl-C forces the exit.
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});

const code = await run({
  argv: process.argv.slice(2),
  env: process.env,
  io: {
    out: (text) => process.stdout.write(text.endsWith('\n') || text.endsWith('> ') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') || text.endsWith('> ') ? text : `${text}\n`),
  },
  signal: controller.signal,
});
process.exitCode = code;
