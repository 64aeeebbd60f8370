import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

/**
 * Live fan-out of messages between processes: in process for the embedded shape, Redis pub/sub
 * when scaled, so an event recorded by any process reaches streams held by every process.
 */
export interface MessageBus {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): () => void;
  close(): Promise<void>;
}

export class InProcessBus implements MessageBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);
  async publish(channel: string, message: string) {
    this.#emitter.emit(channel, message);
  }
  subscribe(channel: string, handler: (message: string) => void) {
    this.#emitter.on(channel, handler);
    return () => {
      this.#emitter.off(channel, handler);
    };
  }
  async close() {
    this.#emitter.removeAllListeners();
  }
}

export class RedisBus implements MessageBus {
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #local = new EventEmitter().setMaxListeners(0);
  readonly #counts = new Map<string, number>();

  constructor(url: string) {
    this.#pub = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.#sub = new Redis(url, { lazyConnect: false });
    this.#sub.on('message', (channel: string, message: string) => this.#local.emit(channel, message));
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
    if (n === 0) void this.#sub.subscribe(channel);
    this.#local.on(channel, handler);
    return () => {
      this.#local.off(channel, handler);
      const left = (this.#counts.get(channel) ?? 1) - 1;
      if (left <= 0) {
        this.#counts.delete(channel);
        void this.#sub.unsubscribe(channel);
      } else this.#counts.set(channel, left);
    };
  }

  async close() {
    this.#local.removeAllListeners();
    this.#pub.disconnect();
    this.#sub.disconnect();
  }
}
