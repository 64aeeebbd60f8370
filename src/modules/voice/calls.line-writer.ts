import type { AppContext } from '../../platform/context.ts';
import type { Tx } from '../../platform/events.ts';
import { GroupCommit, type GroupResult } from '../../platform/group-commit.ts';
import { voiceRuntime } from './voice.runtime.ts';

/** One transcript line's writes, in a transaction it may share with other calls' lines. */
export type LineWrite = (tx: Tx) => Promise<void>;

/**
 * How long a line waits for other calls' lines to share its transaction: at 500 speaking calls a
 * process writes about 90 lines a second, and a line in a transaction of its own spent 0.37 ms of
 * its 0.9 ms of SQLite time on BEGIN and COMMIT; gathered, several lines share them. The line's
 * message and event are that much later; the call's turn-taking and audio do not wait for them.
 */
export const LINE_GATHER_MS = 50;

/**
 * Lines written in one transaction at most: SQLite's statements run synchronously, so a group
 * holds the event loop (and so every call's audio) for its whole write, 0.5-1 ms a line. Calls
 * placed together take turns together, so lines come in bursts: groups of 10 put the benchmark's
 * frame lateness p99 over 40 ms in one idle run of two; 4 keep a group's hold near a line's of before.
 */
const MAX_LINES = 4;

/**
 * The app's writer of transcript lines: each call submits its lines in order (its recorder chains
 * them), and the lines of all calls submitted within `LINE_GATHER_MS` are written in one
 * transaction. When that transaction fails, each of its lines is written again in one of its own,
 * so a line fails only for itself (the rolled-back lines wrote nothing).
 */
export function lineWriter(ctx: AppContext): (write: LineWrite) => Promise<void> {
  const rt = voiceRuntime(ctx);
  if (!rt.lineWriter) {
    const group = new GroupCommit<LineWrite, void>((lines) => writeLines(ctx, lines), {
      maxItems: MAX_LINES,
      // SQLite has one writer; on PostgreSQL one transaction at a time keeps the groups large.
      concurrency: 1,
      gatherMs: LINE_GATHER_MS,
    });
    // Kept on the app's voice runtime: one writer per app, none shared between two apps in a process.
    rt.lineWriter = (write) => group.submit(write);
  }
  return rt.lineWriter;
}

async function writeLines(ctx: AppContext, lines: LineWrite[]): Promise<GroupResult<void>[]> {
  try {
    await ctx.transaction(async (tx) => {
      for (const line of lines) await line(tx);
    });
    return lines.map(() => ({ ok: true, value: undefined }));
  } catch (err) {
    if (lines.length === 1) return [{ ok: false, error: err }];
  }
  const results: GroupResult<void>[] = [];
  for (const line of lines) {
    try {
      await ctx.transaction(line);
      results.push({ ok: true, value: undefined });
    } catch (error) {
      results.push({ ok: false, error });
    }
  }
  return results;
}
