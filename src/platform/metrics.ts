import { sql } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Db, Dialect } from './db/database.ts';
import type { ParleyEvent } from './events.ts';
import { type QueueDepths, type QueueKindStats, queueStats } from './queue/stats.ts';

/** Active calls by labels, as the voice engine reports them at scrape time. */
export type ActiveCallsSource = () => Promise<Array<{ labels: Record<string, string>; value: number }>>;

const messageStatuses: Partial<Record<ParleyEvent['event'], { direction: string; status: string }>> = {
  'message.received': { direction: 'inbound', status: 'received' },
  'message.sent': { direction: 'outbound', status: 'sent' },
  'message.delivered': { direction: 'outbound', status: 'delivered' },
  'message.read': { direction: 'outbound', status: 'read' },
  'message.failed': { direction: 'outbound', status: 'failed' },
};

/**
 * The product's Prometheus metrics, one registry per app (two apps in one process do not share
 * counters). Counters count what this process did, so sum them over processes; the queue and
 * call gauges are read from the shared storage at scrape time, so every process reports the same
 * figure (use `max`, not `sum`, across processes). docs/metrics.md lists them all.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly messages: Counter<'channel' | 'direction' | 'status'>;
  readonly inboundMessages: Counter<'channel'>;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly webhookDuration: Histogram<'outcome'>;
  readonly aiReplies: Counter<'engine' | 'answered'>;
  readonly aiReplyLatency: Histogram<'engine'>;
  readonly aiModelFailures: Counter<'provider' | 'reason'>;
  readonly handoffs: Counter<'by'>;
  readonly sendWrites: Counter<'path'>;
  readonly sendBatches: Counter;
  #activeCalls: ActiveCallsSource | undefined;
  readonly #channelTypes = new Map<string, string>();
  readonly #db: Db;

  constructor(db: Db, dialect: Dialect, opts: { queue?: Partial<QueueDepths> } = {}) {
    this.#db = db;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
    this.httpRequests = new Counter({
      name: 'parley_http_requests_total',
      help: 'HTTP requests by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'HTTP request duration by method and route.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.messages = new Counter({
      name: 'parley_messages_total',
      help: 'Messages by channel (whatsapp, sms, email, ...), direction and status reached (received; sent, delivered, read, failed).',
      labelNames: ['channel', 'direction', 'status'],
      registers,
    });
    this.inboundMessages = new Counter({
      name: 'parley_inbound_messages_total',
      help: 'Customer messages received, by channel.',
      labelNames: ['channel'],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'parley_webhook_delivery_attempts_total',
      help: 'Webhook delivery attempts by outcome: succeeded, retrying (failed, another attempt scheduled), failed (gave up), gone (410, endpoint disabled).',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookDuration = new Histogram({
      name: 'parley_webhook_delivery_duration_seconds',
      help: 'Duration of one webhook delivery attempt (connect to last byte read), by outcome.',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.aiReplies = new Counter({
      name: 'parley_ai_replies_total',
      help: 'Replies sent by AI agents, by engine and whether the agent could answer (answered="false": it said it could not and handed off or asked).',
      labelNames: ['engine', 'answered'],
      registers,
    });
    this.aiModelFailures = new Counter({
      name: 'parley_ai_model_failures_total',
      help: "An agent's LLM failing one reply (timeout, unreachable, rate_limited, http_error, provider_error, malformed_answer), by provider; the next fallback model, the built-in engine or a handoff answered instead.",
      labelNames: ['provider', 'reason'],
      registers,
    });
    this.aiReplyLatency = new Histogram({
      name: 'parley_ai_reply_latency_seconds',
      help: "From the customer's first unanswered message to the AI reply being queued to send (includes the burst debounce).",
      labelNames: ['engine'],
      buckets: [0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60],
      registers,
    });
    this.handoffs = new Counter({
      name: 'parley_handoffs_total',
      help: 'Conversations handed off to humans (conversation.escalated), by who handed off: ai, api_key, user, system.',
      labelNames: ['by'],
      registers,
    });

    this.sendWrites = new Counter({
      name: 'parley_send_writes_total',
      help: 'Outbound messages accepted for sending, by how they were stored: batched (with others, in one transaction of the batch writer) or single (in their own transaction).',
      labelNames: ['path'],
      registers,
    });
    this.sendBatches = new Counter({
      name: 'parley_send_batches_total',
      help: 'Transactions committed by the send batch writer (each stores one or more messages).',
      registers,
    });

    // Both queue gauges come from one read of the queue when they are collected together.
    let pending: Promise<QueueKindStats[]> | undefined;
    const readStats = () => {
      pending ??= queueStats(db, dialect, opts.queue)
        .catch(() => [])
        .finally(() => {
          setImmediate(() => {
            pending = undefined;
          });
        });
      return pending;
    };
    new Gauge({
      name: 'parley_queue_jobs',
      help: 'Jobs in the durable queue by kind and state: due (waiting to run now), scheduled (delayed to a later time), active (running).',
      labelNames: ['kind', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const s of await readStats()) {
          this.set({ kind: s.kind, state: 'due' }, s.due);
          this.set({ kind: s.kind, state: 'scheduled' }, s.scheduled);
          this.set({ kind: s.kind, state: 'active' }, s.active);
        }
      },
    });
    new Gauge({
      name: 'parley_queue_oldest_due_job_age_seconds',
      help: 'How long the oldest due job of each kind has waited to run (0 when none is waiting).',
      labelNames: ['kind'],
      registers,
      async collect() {
        this.reset();
        for (const s of await readStats()) this.set({ kind: s.kind }, s.oldestDueAgeSeconds);
      },
    });
    const metrics = this;
    new Gauge({
      name: 'parley_active_calls',
      help: 'Voice calls in progress (queued, dialing, ringing, in_progress), as reported by the voice engine.',
      labelNames: ['provider', 'direction'],
      registers,
      async collect() {
        this.reset();
        const source = metrics.#activeCalls;
        if (!source) return;
        for (const { labels, value } of await source()) this.set(labels, value);
      },
    });
  }

  /** The voice engine reports its active calls through this (read at every scrape). */
  setActiveCallsSource(source: ActiveCallsSource) {
    this.#activeCalls = source;
  }

  /** Counts what committed events say happened (message statuses, handoffs). Never throws. */
  observe(events: ParleyEvent[]) {
    const messageEvents: Array<[ParleyEvent, { direction: string; status: string }]> = [];
    for (const e of events) {
      const status = messageStatuses[e.event];
      if (status) messageEvents.push([e, status]);
      else if (e.event === 'conversation.escalated') this.handoffs.inc({ by: e.actor.type });
    }
    if (messageEvents.length === 0) return;
    this.#count(messageEvents).catch(() => {});
  }

  async #count(events: Array<[ParleyEvent, { direction: string; status: string }]>) {
    for (const [e, { direction, status }] of events) {
      const channel = await this.#channelType(e.data.channel_id);
      this.messages.inc({ channel, direction, status });
      if (direction === 'inbound') this.inboundMessages.inc({ channel });
    }
  }

  /** A channel's type never changes, so it is looked up once per channel. */
  async #channelType(channelId: unknown): Promise<string> {
    if (typeof channelId !== 'string') return 'unknown';
    const known = this.#channelTypes.get(channelId);
    if (known) return known;
    const { rows } = await sql<{ type: string }>`select type from channels where id = ${channelId}`
      .execute(this.#db)
      .catch(() => ({ rows: [] as Array<{ type: string }> }));
    const row = rows[0];
    const type = row?.type ?? 'unknown';
    if (this.#channelTypes.size > 10_000) this.#channelTypes.clear();
    if (row) this.#channelTypes.set(channelId, type);
    return type;
  }
}
