import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CommandContext } from './commands.ts';
import { usageError } from './errors.ts';
import { fields, json, table } from './output.ts';

/** Where a tool goes: its request, or an MCP tool's server and imported tools. */
function target(t: Record<string, any>): string {
  if (t.request) return `${t.request.method} ${t.request.url}`;
  const names = (t.mcp?.imported ?? []).map((i: { name: string }) => i.name);
  return `MCP ${t.mcp?.url ?? ''}${names.length ? ` (${names.join(', ')})` : ''}`;
}

/** `parley tools list`: the workspace's tools (docs/tools.md). */
export async function toolsList(ctx: CommandContext): Promise<void> {
  const page = await ctx.client.tools.list({ per_page: 100 } as never);
  if (ctx.json) return ctx.io.out(json(page));
  ctx.io.out(
    table(page.data as Array<Record<string, any>>, [
      { header: 'id', value: (t) => t.id, max: 40 },
      { header: 'name', value: (t) => t.name, max: 30 },
      { header: 'effect', value: (t) => t.effect },
      { header: 'request', value: (t) => target(t), max: 60 },
    ]),
  );
}

/** `parley tools show <id>`. */
export async function toolsShow(ctx: CommandContext, id: string): Promise<void> {
  const tool = await ctx.client.tools.get(id);
  if (ctx.json) return ctx.io.out(json(tool));
  ctx.io.out(
    fields([
      ['id', tool.id],
      ['name', tool.name],
      ['effect', tool.effect],
      ['request', target(tool as Record<string, any>)],
      ['on_error', tool.on_error],
      ['description', tool.description],
    ]),
  );
}

/** `parley tools test <id> --args '{"order_id":"5531"}' [--live]`: one run, the request and result shown. */
export async function toolsTest(
  ctx: CommandContext,
  id: string,
  o: { args?: string; live?: boolean; contact?: string; tool?: string },
) {
  let args: Record<string, unknown> = {};
  if (o.args) {
    try {
      args = JSON.parse(o.args);
    } catch {
      throw usageError('parley tools test: --args must be a JSON object');
    }
  }
  const r = await ctx.client.tools.test(id, {
    args,
    ...(o.live ? { live: true } : {}),
    ...(o.contact ? { contact_id: o.contact } : {}),
    ...(o.tool ? { tool: o.tool } : {}),
  });
  if (ctx.json) return ctx.io.out(json(r));
  const c = r.call;
  ctx.io.out(
    fields([
      ['status', `${c.status}${c.code ? ` (${c.code})` : ''}${r.live ? '' : ', not live'}`],
      ['request', `${c.request.method} ${c.request.url}`],
      ['response', c.response ? `HTTP ${c.response.status} ${c.response.content_type}` : '—'],
      ['result', JSON.stringify(c.result)],
      ['latency', `${c.latency_ms} ms, ${c.attempts} attempt(s)`],
      ...(c.message ? ([['message', c.message]] as Array<[string, unknown]>) : []),
    ]),
  );
}

/** `parley tools calls <conversation>`: the tool calls of a conversation, oldest first. */
export async function toolsCalls(ctx: CommandContext, conversationId: string) {
  const r = await ctx.client.tools.calls(conversationId);
  if (ctx.json) return ctx.io.out(json(r));
  ctx.io.out(
    table(r.data as Array<Record<string, any>>, [
      { header: 'id', value: (c) => c.id, max: 40 },
      { header: 'tool', value: (c) => c.tool_name, max: 30 },
      { header: 'status', value: (c) => (c.code ? `${c.status} (${c.code})` : c.status) },
      { header: 'ms', value: (c) => String(c.latency_ms) },
      { header: 'when', value: (c) => c.created_at },
    ]),
  );
}

/** A tool definition from a JSON file (`-`: standard input), as `POST /v1/tools` takes it. */
async function readDefinition(command: string, file: string, stdin: NodeJS.ReadableStream) {
  let text: string;
  try {
    text = file === '-' ? await readAll(stdin) : readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(
      `parley ${command}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
    );
  }
  try {
    const body = JSON.parse(text);
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // Answered below.
  }
  throw usageError(`parley ${command}: ${file} must hold one JSON object (the tool, as in docs/tools.md).`);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString('utf8');
}

/** `parley tools create <file>`: the tool as the API answers it (its id). */
export async function toolsCreate(ctx: CommandContext, file: string, stdin: NodeJS.ReadableStream) {
  const body = await readDefinition('tools create', file, stdin);
  const tool = await ctx.client.tools.create(body as never);
  if (ctx.json) return ctx.io.out(json(tool));
  ctx.io.out(`Created ${tool.name} (${tool.id}). Attach it to an agent by adding ${tool.id} to its tools.`);
}

/** `parley tools update <id> <file>`: the fields in the file replace the tool's. */
export async function toolsUpdate(
  ctx: CommandContext,
  id: string,
  file: string,
  stdin: NodeJS.ReadableStream,
) {
  const body = await readDefinition('tools update', file, stdin);
  const tool = await ctx.client.tools.update(id, body as never);
  if (ctx.json) return ctx.io.out(json(tool));
  ctx.io.out(`Updated ${tool.name} (${tool.id}).`);
}

/** `parley tools delete <id>`. */
export async function toolsDelete(ctx: CommandContext, id: string) {
  const r = await ctx.client.tools.delete(id);
  if (ctx.json) return ctx.io.out(json(r));
  ctx.io.out(`Deleted ${id}.`);
}

/** `parley secrets list`: names only, values always masked. */
export async function secretsList(ctx: CommandContext) {
  const r = await ctx.client.secrets.list();
  if (ctx.json) return ctx.io.out(json(r));
  ctx.io.out(
    table(r.data as Array<Record<string, any>>, [
      { header: 'name', value: (s) => s.name, max: 64 },
      { header: 'updated', value: (s) => s.updated_at },
    ]),
  );
}

/**
 * `parley secrets set <name>`: the value is the first line of standard input (piped, or typed),
 * never an argument, so it stays out of the shell's history and the process list.
 */
export async function secretsSet(
  ctx: CommandContext,
  name: string,
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
) {
  if (stdin.isTTY) ctx.io.err(`Value of ${name} (one line): `);
  const rl = createInterface({ input: stdin, terminal: false });
  let value = '';
  for await (const line of rl) {
    value = line;
    break;
  }
  rl.close();
  if (!value)
    throw usageError(
      `parley secrets set: give the value of ${name} on standard input, e.g. printf %s "$TOKEN" | parley secrets set ${name}.`,
    );
  const r = await ctx.client.secrets.set({ name, value });
  if (ctx.json) return ctx.io.out(json(r));
  ctx.io.out(`Set ${r.name}; tools use it as {{secret.${r.name}}}. Its value is never shown again.`);
}

/** `parley secrets delete <name>` (refused while a tool uses it). */
export async function secretsDelete(ctx: CommandContext, name: string) {
  const r = await ctx.client.secrets.delete(name);
  if (ctx.json) return ctx.io.out(json(r));
  ctx.io.out(`Deleted ${name}.`);
}
