import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { CommandContext } from './commands.ts';
import { json } from './output.ts';

export interface RangeOptions {
  from?: string;
  to?: string;
  channel?: string;
  agent?: string;
  interval?: string;
}

const rangeQuery = (o: RangeOptions) => ({
  from: o.from,
  to: o.to,
  channel: o.channel,
  agent_id: o.agent,
});

const show = (v: unknown) => (v === null || v === undefined ? '—' : String(v));

/** `parley reports overview --from --to`: the overview's totals (or the whole report with --json). */
export async function reportsOverview(ctx: CommandContext, o: RangeOptions): Promise<void> {
  const report = await ctx.client.reports.overview({ ...rangeQuery(o), interval: o.interval } as never);
  if (ctx.json) return ctx.io.out(json(report));
  const lines = [`${report.from} → ${report.to} (${report.timezone})`];
  for (const [k, v] of Object.entries(report.totals)) lines.push(`${k.padEnd(28)} ${show(v)}`);
  ctx.io.out(lines.join('\n'));
}

const sizeOf = (n: number) =>
  n < 1024
    ? `${n} bytes`
    : n < 1024 * 1024
      ? `${(n / 1024).toFixed(1)} KB`
      : `${(n / 1024 / 1024).toFixed(1)} MB`;

/** `parley export conversations|calls`: the CSV streamed to --out (or stdout) as it arrives. */
export async function exportCsv(
  ctx: CommandContext,
  what: 'conversations' | 'calls',
  o: RangeOptions & { out?: string; progressMs?: number },
  stdout?: Writable,
): Promise<void> {
  const body = await ctx.client.reports.export(what, rangeQuery(o) as never, { signal: ctx.signal });
  const sink: Writable | undefined = o.out ? createWriteStream(o.out) : stdout;
  let rows = 0;
  let bytes = 0;
  const decoder = new TextDecoder();
  // Progress on stderr while the file is written (rows and bytes so far, at most once a second),
  // so a long export shows it is moving; stdout stays the CSV alone when there is no --out.
  let shown = Date.now();
  const progress = () => `${Math.max(0, rows - 1).toLocaleString('en')} ${what}, ${sizeOf(bytes)}`;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    rows += chunk.reduce((n, b) => n + (b === 10 ? 1 : 0), 0);
    bytes += chunk.length;
    if (!sink) ctx.io.out(decoder.decode(chunk, { stream: true }));
    else if (!sink.write(chunk)) await new Promise((r) => sink.once('drain', r));
    if (o.out && Date.now() - shown >= (o.progressMs ?? 1000)) {
      shown = Date.now();
      ctx.io.err(`Exporting ${what}: ${progress()}...`);
    }
  }
  if (o.out && sink) {
    await new Promise<void>((resolve, reject) =>
      sink.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    ctx.io.err(`Wrote ${Math.max(0, rows - 1)} ${what} (${sizeOf(bytes)}) to ${o.out}.`);
  }
}
