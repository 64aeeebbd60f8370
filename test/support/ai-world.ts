import { DateTime } from 'luxon';
import type { AgentConfig } from '../../src/modules/agents/agents.service.ts';
import type { AgentTools, Slot } from '../../src/modules/ai/engine.ts';
import { faqChunks, textChunks } from '../../src/modules/knowledge/chunking.ts';
import { knowledgeMigrations } from '../../src/modules/knowledge/knowledge.migrations.ts';
import { writeChunks } from '../../src/modules/knowledge/knowledge.service.ts';
import { TermCounts, textSearch } from '../../src/modules/knowledge/search.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import { newId } from '../../src/platform/ids.ts';

/**
 * A small world for the built-in engine without the HTTP app: an in-memory SQLite knowledge
 * index (the real FTS5 search) and bookings kept in memory, so unit tests, the evaluation set
 * and the benchmark exercise the real retrieval quickly.
 */
export const scope = { workspaceId: 'ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D', livemode: false };

export function salonAgent(overrides: Partial<AgentConfig> = {}): AgentConfig {
  const day = [{ open: '10:00', close: '19:00' }];
  return {
    id: newId('agt'),
    workspaceId: scope.workspaceId,
    livemode: false,
    name: 'Glow Salon Assistant',
    status: 'active',
    phoneNumber: '+919876543210',
    instructions: 'SECRET-INSTRUCTIONS: never offer discounts above 10%. Internal code 7731.',
    greeting: 'Hi {{name}}! Welcome to Glow Salon. How can I help you today?',
    languages: ['en', 'hi'],
    model: { provider: 'builtin', name: 'builtin', baseUrl: null, apiKey: null },
    tools: ['knowledge', 'lead_capture', 'booking', 'handoff'],
    handoff: {
      keywords: ['manager'],
      max_unanswered: 2,
      holding_message_after_minutes: 5,
      holding_message: null,
    },
    business: {
      timezone: 'Asia/Kolkata',
      hours: {
        mon: day,
        tue: day,
        wed: day,
        thu: day,
        fri: day,
        sat: [{ open: '10:00', close: '20:00' }],
        sun: [],
      },
      address: '12 MG Road, Bengaluru',
      services: [
        {
          id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E61',
          name: 'Haircut',
          duration_minutes: 45,
          price: 500,
          capacity: 1,
        },
        {
          id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E62',
          name: 'Facial',
          duration_minutes: 60,
          price: 1200,
          capacity: 1,
        },
        {
          id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E63',
          name: 'Hair Spa',
          duration_minutes: 60,
          price: 1500,
          capacity: 1,
        },
      ],
      holidays: [],
      buffer_minutes: 0,
    },
    leadFields: [],
    ...overrides,
  };
}

export interface World {
  db: DatabaseHandle;
  agent: AgentConfig;
  /** Booked slots (ISO start times). */
  booked: Set<string>;
  tools: AgentTools;
  /** Adds a document; returns its id. */
  addDocument(title: string, content: string, kind?: 'text' | 'faq'): Promise<string>;
  close(): Promise<void>;
}

export async function createWorld(agent: AgentConfig = salonAgent()): Promise<World> {
  const db = await openDatabase({ sqlitePath: ':memory:' });
  await migrateToLatest(db.db, 'sqlite', knowledgeMigrations);
  const booked = new Set<string>();
  const tz = agent.business.timezone;
  const slotsOn = (date: string, serviceId: string | null): Slot[] => {
    const d = DateTime.fromISO(date, { zone: tz });
    const key = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const)[d.weekday - 1];
    const duration = agent.business.services.find((s) => s.id === serviceId)?.duration_minutes ?? 30;
    const out: Slot[] = [];
    if (agent.business.holidays.includes(date)) return out;
    for (const iv of agent.business.hours[key] ?? []) {
      let start = d.set({ hour: Number(iv.open.slice(0, 2)), minute: Number(iv.open.slice(3)) });
      const close = d.set({ hour: Number(iv.close.slice(0, 2)), minute: Number(iv.close.slice(3)) });
      while (start.plus({ minutes: duration }) <= close) {
        const iso = start.toUTC().toISO({ suppressMilliseconds: true })!;
        if (!booked.has(iso))
          out.push({
            start_at: iso,
            end_at: start.plus({ minutes: duration }).toUTC().toISO({ suppressMilliseconds: true })!,
          });
        start = start.plus({ minutes: 30 });
      }
    }
    return out;
  };
  const termCounts = new TermCounts();
  const tools: AgentTools = {
    searchKnowledge: (q, k) => textSearch(db.db, 'sqlite', scope, agent.id, q, k, termCounts),
    captureLead: async () => ({ id: newId('lead') }),
    customTools: async () => [],
    runTool: async () => {
      throw new Error('no workspace tools here');
    },
    checkAvailability: async (date, serviceId) => slotsOn(date, serviceId),
    book: async ({ serviceId, startAt }) => {
      if (booked.has(startAt)) throw new Error('taken');
      booked.add(startAt);
      const duration = agent.business.services.find((s) => s.id === serviceId)?.duration_minutes ?? 30;
      return {
        // The same id findBooking gives, so a booking just made can be moved by its id.
        id: `bk_${startAt}`,
        start_at: startAt,
        end_at: DateTime.fromISO(startAt).plus({ minutes: duration }).toUTC().toISO()!,
      };
    },
    cancelBooking: async () => {
      const first = [...booked].sort()[0];
      if (!first) return null;
      booked.delete(first);
      return { id: newId('bk'), start_at: first };
    },
    // The customer's booking is of the agent's first service.
    findBooking: async () => {
      const first = [...booked].sort()[0];
      return first
        ? { id: `bk_${first}`, service_id: agent.business.services[0]?.id ?? null, start_at: first }
        : null;
    },
    rescheduleBooking: async (id, startAt) => {
      const from = id.slice(3);
      if (!booked.has(from)) throw new Error('no such booking');
      if (booked.has(startAt)) throw new Error('taken');
      booked.delete(from);
      booked.add(startAt);
      const duration = agent.business.services[0]?.duration_minutes ?? 30;
      return {
        id,
        start_at: startAt,
        end_at: DateTime.fromISO(startAt).plus({ minutes: duration }).toUTC().toISO()!,
      };
    },
    handoff: async () => undefined,
  };
  return {
    db,
    agent,
    booked,
    tools,
    async addDocument(title, content, kind = 'text') {
      const now = new Date().toISOString();
      const chunks = kind === 'faq' ? faqChunks(parseFaq(content)) : textChunks(title, content);
      const doc = {
        id: newId('kb'),
        workspace_id: scope.workspaceId,
        livemode: 0,
        agent_id: agent.id,
        title,
        doc_type: kind,
        content,
        faqs: null,
        source_url: null,
        filename: null,
        chunk_count: chunks.length,
        char_count: content.length,
        created_at: now,
        updated_at: now,
      };
      await db.db.insertInto('knowledge_documents').values(doc).execute();
      await writeChunks(db.db, 'sqlite', doc, chunks);
      return doc.id;
    },
    close: () => db.close(),
  };
}

function parseFaq(content: string) {
  return content
    .split(/\n\s*\n/)
    .map((block) => /Q:\s*([\s\S]*?)\nA:\s*([\s\S]*)/.exec(block))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ question: m[1].trim(), answer: m[2].trim() }));
}
