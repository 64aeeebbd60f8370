/** The `parley` binary: runs one command line with the real stdio and exits with its code. */
import { run } from './cli.ts';

// A reader that stops early (`parley conversations list --json | head`) closes the pipe: the rest
// of the output is not wanted, which is no error (no stack trace, the command's own exit code).
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

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
