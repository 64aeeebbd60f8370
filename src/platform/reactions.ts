import type { EventType, ParleyEvent, Tx } from './events.ts';
import { settleAll } from './settle.ts';

/** The part of an event type before its dot: `conversation`, `message`, `call`, ... */
export type EventFamily = EventType extends `${infer F}.${string}` ? F : never;

/** What a reaction hears: one event type, a whole family (`conversation.*`) or every event (`*`). */
export type EventPattern = EventType | `${EventFamily}.*` | '*';

/**
 * How a module reacts, inside the transaction that records events, to what other modules (or it
 * itself) did: the one way modules react to each other. What a reaction writes commits with the
 * events or not at all, so nothing an event must cause is lost.
 */
export interface Reaction {
  /** `module.what`, unique in the app: named in errors and in docs/architecture.md's list. */
  name: string;
  /** The events it hears; only these reach `run` (a reaction none of whose events came is not run). */
  hears: readonly EventPattern[];
  /**
   * `record`: writes rows of its own beside the events (webhook deliveries, jobs, notifications)
   * and emits nothing; the record reactions run at the same time as the events' insert and as each
   * other (on PostgreSQL their statements go out together).
   * `follow`: changes state and may emit events of its own, which it then hears too (routing, SLA,
   * timers); the follow reactions run one after another, in the order they were added — module
   * order in `src/modules/index.ts`, then the order of the module's `add` calls — and that order is
   * part of the contract (timers, added after SLA, see the response times SLA records).
   */
  step: 'record' | 'follow';
  run(tx: Tx, events: ParleyEvent[]): Promise<void>;
}

const matches = (pattern: EventPattern, event: EventType) =>
  pattern === '*' || pattern === event || (pattern.endsWith('.*') && event.startsWith(pattern.slice(0, -1)));

/** The app's reactions, in the order they were added (see `Reaction.step`). */
export class Reactions {
  readonly #all: Reaction[] = [];

  add(...reactions: Reaction[]): void {
    for (const r of reactions) {
      if (this.#all.some((o) => o.name === r.name)) throw new Error(`Reaction ${r.name} is added twice.`);
      if (r.hears.length === 0) throw new Error(`Reaction ${r.name} hears no event.`);
      this.#all.push(r);
    }
  }

  /** Names and steps in run order (docs/architecture.md lists them; tests check the order). */
  list(): Array<Pick<Reaction, 'name' | 'step' | 'hears'>> {
    return this.#all.map(({ name, step, hears }) => ({ name, step, hears }));
  }

  /**
   * Runs every reaction that hears some of `events`, with `insert` (the events' own insert)
   * already issued: the record reactions beside it, the follow reactions one after another.
   */
  async react(tx: Tx, events: ParleyEvent[], insert: Promise<void>): Promise<void> {
    const heard = (r: Reaction) => events.filter((e) => r.hears.some((p) => matches(p, e.event)));
    const runIfHeard = (r: Reaction) => {
      const mine = heard(r);
      return mine.length ? r.run(tx, mine) : undefined;
    };
    await settleAll([
      insert,
      ...this.#all.filter((r) => r.step === 'record').map(runIfHeard),
      (async () => {
        for (const r of this.#all) if (r.step === 'follow') await runIfHeard(r);
      })(),
    ]);
  }
}
