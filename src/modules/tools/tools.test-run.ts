import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { ApiError, invalidField } from '../../platform/errors.ts';
import { fromJson } from '../../platform/json.ts';
import { findContactRow } from '../contacts/index.ts';
import { agentTools, type Tool } from './definition.ts';
import { deeperThan } from './json-schema.ts';
import { toolCallsById } from './tool-calls.service.ts';
import { callTool } from './tools.run.ts';
import { getToolRow, toolOf } from './tools.service.ts';

/** An MCP tool is tested as one of its server's tools (`tool`, by its name on the server). */
function pick(tool: Tool, name: string | undefined): Tool {
  if (tool.type !== 'mcp') {
    if (name) throw invalidField('tool', 'only an MCP tool has tools to choose from');
    return tool;
  }
  const all = agentTools(tool);
  const found = name ? all.find((t) => t.mcpTool === name) : all.length === 1 ? all[0] : undefined;
  if (!found)
    throw invalidField('tool', `name one of the imported tools: ${all.map((t) => t.mcpTool).join(', ')}`);
  return found;
}

/** `POST /v1/tools/{id}/test`: one run, recorded like any other (source `test`), answered whole. */
export async function testTool(
  ctx: AppContext,
  auth: Scope & {
    actor: {
      type: 'api_key' | 'user' | 'ai' | 'customer' | 'system' | 'rule' | 'automation';
      id: string | null;
    };
  },
  id: string,
  body: { args?: Record<string, unknown>; live?: boolean; contact_id?: string; tool?: string },
) {
  const tool = pick(toolOf(await getToolRow(ctx.db, auth, id)), body.tool);
  if (body.args && deeperThan(body.args, 10)) throw invalidField('args', 'nests deeper than 10 levels');
  const contact = body.contact_id ? await findContactRow(ctx.db, auth, body.contact_id) : undefined;
  if (body.contact_id && !contact)
    throw invalidField('contact_id', `${body.contact_id} is not a contact of this workspace`);
  const live = body.live === true;
  const outcome = await callTool(ctx, tool, body.args ?? {}, {
    scope: auth,
    agent: null,
    contact: contact
      ? {
          id: contact.id,
          name: contact.name,
          phone: contact.phone,
          email: contact.email,
          attributes: fromJson<Record<string, unknown>>(contact.attributes, {}),
        }
      : null,
    conversation: null,
    channel: 'chat',
    source: 'test',
    useMocks: !live,
    liveWrites: live,
    actor: auth.actor,
  });
  const call = outcome.callId ? await toolCallsById(ctx.db, auth, outcome.callId) : undefined;
  if (!call) throw new ApiError('unprocessable', `The tool could not be run: ${outcome.message}.`);
  return {
    object: 'tool_test' as const,
    ok: outcome.ok,
    live: outcome.status !== 'skipped' && outcome.status !== 'mocked',
    call,
  };
}
