/**
 * Server-sent events over fetch: the browser's EventSource cannot send an Authorization header,
 * so the inbox reads `GET /v1/events/stream` itself. The parser follows the HTML standard's
 * event-stream rules (fields, comments, CR/LF/CRLF line ends, multi-line data, `retry`).
 */
export class SseParser {
  /** @param {(event: {id: string | null, event: string, data: string}) => void} onEvent */
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.data = [];
    this.eventType = '';
    this.lastEventId = null;
    /** @type {number | null} */
    this.retry = null;
  }

  /** Feeds decoded text; calls onEvent for each complete event. */
  push(text) {
    this.buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) return;
      // A lone CR at the very end may be the first half of a CRLF: wait for more.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  line(line) {
    if (line === '') {
      if (this.data.length) {
        this.onEvent({
          id: this.lastEventId,
          event: this.eventType || 'message',
          data: this.data.join('\n'),
        });
      }
      this.data = [];
      this.eventType = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

/**
 * Keeps one live stream open: reconnects with backoff, resumes with Last-Event-ID (the server
 * replays what was missed, without gaps or duplicates) and reports its state to the screen.
 */
export class EventStream {
  /**
   * @param {{ url: string, token: () => string | null, onEvent: (e: any) => void,
   *   onState: (state: 'connecting' | 'live' | 'reconnecting', detail?: string) => void,
   *   onUnauthorized: () => void, fetch?: typeof fetch, lastEventId?: string | null,
   *   idleMs?: number }} opts
   */
  constructor(opts) {
    this.opts = opts;
    this.fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.lastEventId = opts.lastEventId ?? null;
    this.stopped = false;
    this.failures = 0;
    /** @type {AbortController | null} */
    this.controller = null;
    this.idleMs = opts.idleMs ?? 45_000;
  }

  start() {
    this.stopped = false;
    this.loop();
  }

  stop() {
    this.stopped = true;
    this.controller?.abort();
    clearTimeout(this.idleTimer);
    clearTimeout(this.retryTimer);
  }

  /** Drops the current connection (as a lost network would); the loop reconnects. */
  reconnectNow() {
    clearTimeout(this.retryTimer);
    this.controller?.abort();
  }

  async loop() {
    while (!this.stopped) {
      const ok = await this.connectOnce();
      if (this.stopped || ok === 'unauthorized') return;
      this.failures += 1;
      const delay = Math.min(10_000, 500 * 2 ** Math.min(this.failures - 1, 5));
      this.opts.onState(
        'reconnecting',
        `Connection lost. Reconnecting in ${Math.round(delay / 1000) || 1} s…`,
      );
      await new Promise((resolve) => {
        this.retryTimer = setTimeout(resolve, delay);
        this.wake = resolve;
      });
    }
  }

  /** Wakes a waiting reconnect at once (the browser came back online). */
  retrySoon() {
    clearTimeout(this.retryTimer);
    this.wake?.();
  }

  async connectOnce() {
    const token = this.opts.token();
    if (!token) return 'unauthorized';
    const controller = new AbortController();
    this.controller = controller;
    const headers = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
    if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
    if (this.failures === 0) this.opts.onState('connecting');
    const armIdle = () => {
      clearTimeout(this.idleTimer);
      // The server sends a heartbeat every 15 s: silence this long means a dead connection.
      this.idleTimer = setTimeout(() => controller.abort(), this.idleMs);
    };
    try {
      const res = await this.fetch(this.opts.url, { headers, signal: controller.signal, cache: 'no-store' });
      if (res.status === 401) {
        this.opts.onUnauthorized();
        return 'unauthorized';
      }
      if (!res.ok || !res.body) return 'failed';
      this.failures = 0;
      this.opts.onState('live');
      armIdle();
      const parser = new SseParser((e) => {
        if (e.id) this.lastEventId = e.id;
        let data;
        try {
          data = JSON.parse(e.data);
        } catch {
          return;
        }
        this.opts.onEvent(data);
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        armIdle();
        parser.push(value);
      }
      return 'ended';
    } catch {
      return 'failed';
    } finally {
      clearTimeout(this.idleTimer);
    }
  }
}
