import { DateTime } from 'luxon';
import { z } from 'zod';
import type { AgentConfig } from '../agents/index.ts';
import type { SearchHit } from '../knowledge/index.ts';
import type { AgentTools } from './engine.ts';

/**
 * The built-in lookups an LLM may use before it answers (the agent's tools decide which): offered
 * as native functions, or as the JSON `tool` action to a model without tool support. The
 * knowledge passages found are kept in `hits` for the reply's sources.
 */
export interface Lookup {
  description: string;
  schema: z.ZodObject;
  run(args: Record<string, unknown>): Promise<unknown>;
}

export function lookups(agent: AgentConfig, t: AgentTools, hits: SearchHit[]): Record<string, Lookup> {
  const out: Record<string, Lookup> = {};
  const has = (x: AgentConfig['tools'][number]) => agent.tools.includes(x);
  if (has('knowledge')) {
    out.search_knowledge = {
      description: "Search the business's knowledge base. Returns passages with ids.",
      schema: z.object({ query: z.string().min(1).describe('What to look for') }),
      run: async (args) => {
        const found = await t.searchKnowledge(String(args.query), 5);
        hits.push(...found);
        return found.map((h) => ({ chunk_id: h.chunk_id, title: h.title, text: h.text }));
      },
    };
  }
  if (has('booking')) {
    out.check_availability = {
      description: 'Free appointment slots on a date (YYYY-MM-DD, business timezone) for a service id.',
      schema: z.object({
        date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
        service_id: z.string().optional(),
      }),
      run: async (args) => ({
        slots: await t.checkAvailability(
          String(args.date),
          (args.service_id as string | undefined) ?? agent.business.services[0]?.id ?? null,
        ),
      }),
    };
    out.find_booking = {
      description: "The customer's next upcoming booking (id, service, start), or none.",
      schema: z.object({}),
      run: async () => {
        const b = await t.findBooking();
        return b ? { booking: describeBooking(agent, b) } : { booking: null, reason: 'no upcoming booking' };
      },
    };
  }
  return out;
}

/** The lookups listed in the prompt of a model that calls them with the JSON `tool` action. */
export function lookupsPrompt(list: Record<string, Lookup>): string {
  const names = Object.keys(list);
  if (!names.length) return '';
  return [
    'Lookups (call one with the action {"type": "tool", "tool": <name>, "args": {...}}; its answer comes back to you before you answer the customer):',
    ...names.map(
      (n) =>
        `- ${n}: ${list[n]!.description} Arguments (JSON Schema): ${JSON.stringify(z.toJSONSchema(list[n]!.schema))}`,
    ),
  ].join('\n');
}

/** A booking as the model sees it: its service by name and its start in the business timezone. */
function describeBooking(agent: AgentConfig, b: { id: string; service_id: string | null; start_at: string }) {
  const service = agent.business.services.find((s) => s.id === b.service_id);
  return {
    id: b.id,
    service: service?.name ?? null,
    start_at: b.start_at,
    local_start: DateTime.fromISO(b.start_at)
      .setZone(agent.business.timezone)
      .toISO({ suppressMilliseconds: true }),
  };
}
