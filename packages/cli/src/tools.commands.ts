import type { CommandContext } from './commands.ts';
import { usageError } from './errors.ts';
import { fields, json, table } from './output.ts';

/** `parley tools list`: the workspace's tools (docs/tools.md). */
export async function toolsList(ctx: CommandContext): Promise<void> {
  const page = await ctx.client.tools.list({ per_page: 100 } as never);
  if (ctx.json) return ctx.io.out(json(page));
  ctx.io.out(
    table(page.data as Array<Record<string, any>>, [
      { header: 'id', value: (t) => t.id, max: 40 },
      { header: 'name', value: (t) => t.name, max: 30 },
      { header: 'effect', value: (t) => t.effect },
      { header: 'request', value: (t) => `${t.request.method} ${t.request.url}`, max: 60 },
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
      ['request', `${tool.request.method} ${tool.request.url}`],
      ['on_error', tool.on_error],
      ['description', tool.description],
    ]),
  );
}

/** `parley tools test <id> --args '{"order_id":"5531"}' [--live]`: one run, the request and result shown. */
export async function toolsTest(ctx: CommandContext, id: string, o: { args?: string; live?: boolean }) {
  let args: Record<string, unknown> = {};
  if (o.args) {
    try {
      args = JSON.parse(o.args);
    } catch {
      throw usageError('parley tools test: --args must be a JSON object');
    }
  }
  const r = await ctx.client.tools.test(id, { args, ...(o.live ? { live: true } : {}) });
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
