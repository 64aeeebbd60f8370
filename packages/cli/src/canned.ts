import type { CommandContext } from './commands.ts';
import { json, table } from './output.ts';

/** `parley canned list`: the workspace's canned responses. */
export async function cannedList(ctx: CommandContext, opts: { q?: string }): Promise<void> {
  const page = await ctx.client.cannedResponses.list({ q: opts.q, per_page: 100 } as never);
  if (ctx.json) return ctx.io.out(json(page));
  ctx.io.out(
    table(page.data as Array<Record<string, any>>, [
      { header: 'id', value: (c) => c.id, max: 40 },
      { header: 'code', value: (c) => `/${c.short_code}` },
      { header: 'title', value: (c) => c.title, max: 30 },
      { header: 'content', value: (c) => String(c.content).replace(/\s+/g, ' '), max: 60 },
    ]),
  );
}

/** `parley canned create <short_code> <title> <content>`. */
export async function cannedCreate(ctx: CommandContext, shortCode: string, title: string, content: string) {
  const created = await ctx.client.cannedResponses.create({ short_code: shortCode, title, content });
  ctx.io.out(ctx.json ? json(created) : `Created /${created.short_code}: ${created.id}`);
}

/** `parley canned show <id>`. */
export async function cannedShow(ctx: CommandContext, id: string) {
  const c = await ctx.client.cannedResponses.get(id);
  ctx.io.out(ctx.json ? json(c) : `/${c.short_code}  ${c.title}  (${c.id})\n\n${c.content}`);
}

/** `parley canned delete <id>`. */
export async function cannedDelete(ctx: CommandContext, id: string) {
  const d = await ctx.client.cannedResponses.delete(id);
  ctx.io.out(ctx.json ? json(d) : `Deleted ${d.id}`);
}

/** `parley canned send <conversation> <canned_id>`: sends it filled in for that conversation. */
export async function cannedSend(ctx: CommandContext, conversationId: string, cannedId: string) {
  const m = await ctx.client.cannedResponses.send(conversationId, cannedId);
  ctx.io.out(ctx.json ? json(m) : `Sent ${m.id}: ${m.text ?? ''}`);
}
