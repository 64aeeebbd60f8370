import type { Tx } from './events.ts';

/**
 * A point where one module lets others act inside its transaction (an inbound message stored, a
 * template saved). Each app has its own: a hook belongs to a module's instance, never to the process.
 */
export class Hook<E> {
  readonly #listeners: Array<(tx: Tx, event: E) => Promise<void>> = [];

  /** Adds a listener; adding the same one twice is ignored. Listeners must not do network I/O. */
  add(listener: (tx: Tx, event: E) => Promise<void>): void {
    if (!this.#listeners.includes(listener)) this.#listeners.push(listener);
  }

  async run(tx: Tx, event: E): Promise<void> {
    for (const listener of this.#listeners) await listener(tx, event);
  }
}
