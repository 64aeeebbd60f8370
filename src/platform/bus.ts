import { EventEmitter } from 'node:events';

/**
 * Live fan-out of messages between processes: in process for the embedded shape, Redis pub/sub
 * when scaled, so an event recorded by any process reaches streams held by every process.
 */
export interface MessageBus {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): () => void;
  /**
   * Calls `handler` when messages may have been missed: the connection that receives them was
   * lost, or came back. Live streams then resume from storage. The in-process bus never misses.
   */
  onInterruption?(handler: () => void): () => void;
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
