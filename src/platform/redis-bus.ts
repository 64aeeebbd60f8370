import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { MessageBus } from './bus.ts';

const INTERRUPTED = Symbol('interrupted');

/** The bus of the scaled shape: Redis pub/sub, so every process sees every live event. */
export class RedisBus implements MessageBus {
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #local = new EventEmitter().setMaxListeners(0);
  readonly #counts = new Map<string, number>();

  constructor(url: string) {
    this.#pub = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.#sub = new Redis(url, { lazyConnect: false });
    this.#sub.on('message', (channel: string, message: string) => this.#local.emit(channel, message));
    // Messages published while the subscriber is away are gone: tell listeners when it drops and
    // when it is back (ioredis subscribes its channels again by itself).
    let lost = false;
    this.#sub.on('close', () => {
      if (lost) return;
      lost = true;
      this.#local.emit(INTERRUPTED);
    });
    this.#sub.on('ready', () => {
      if (!lost) return;
      lost = false;
      this.#local.emit(INTERRUPTED);
    });
    // Connection errors are retried by ioredis; readiness reports them.
    this.#pub.on('error', () => {});
    this.#sub.on('error', () => {});
  }

  async publish(channel: string, message: string) {
    await this.#pub.publish(channel, message);
  }

  subscribe(channel: string, handler: (message: string) => void) {
    const n = this.#counts.get(channel) ?? 0;
    this.#counts.set(channel, n + 1);
    if (n === 0) this.#sub.subscribe(channel).catch(() => {});
    this.#local.on(channel, handler);
    return () => {
      this.#local.off(channel, handler);
      const left = (this.#counts.get(channel) ?? 1) - 1;
      if (left <= 0) {
        this.#counts.delete(channel);
        // The connection may already be closing; nothing is left to unsubscribe then.
        this.#sub.unsubscribe(channel).catch(() => {});
      } else this.#counts.set(channel, left);
    };
  }

  onInterruption(handler: () => void) {
    this.#local.on(INTERRUPTED, handler);
    return () => {
      this.#local.off(INTERRUPTED, handler);
    };
  }

  async close() {
    this.#local.removeAllListeners();
    this.#pub.disconnect();
    this.#sub.disconnect();
  }
}
