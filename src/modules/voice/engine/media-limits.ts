/**
 * Bounds of Parley's media WebSocket (docs/voice.md, "Media socket limits"): what a client may
 * send, how far behind it may fall reading, and how long it may stay silent. Each bound drops
 * what is over it (counted in `parley_media_frames_dropped_total`) and, past a second bound,
 * closes the socket with a documented close code; none lets one client slow the other calls.
 */
export interface MediaLimits {
  /** Seconds of audio a client may send ahead of real time (a burst after a network stall). */
  burstSeconds: number;
  /** Seconds of dropped (over real time) audio after which the socket is closed (4429). */
  overrunCloseSeconds: number;
  /** The largest binary frame taken, in bytes (1 s of 16 kHz PCM); larger ones are dropped. */
  maxFrameBytes: number;
  /** Bytes waiting to be sent to a client past which its audio frames are dropped (a slow reader). */
  sendBufferBytes: number;
  /** How long a client may stay over `sendBufferBytes` before the socket is closed (4408). */
  slowReaderCloseMs: number;
  /** How long a socket may send nothing at all before it is closed (4408); 0: never. */
  idleMs: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  burstSeconds: 2,
  overrunCloseSeconds: 10,
  maxFrameBytes: 32_000,
  sendBufferBytes: 64 * 1024,
  slowReaderCloseMs: 10_000,
  idleMs: 60_000,
};

/** Close codes of the media socket for the bounds above (4xxx: HTTP statuses + 4000). */
export const mediaLimitClose = {
  /** The client sent audio faster than real time for too long. */
  tooFast: 4429,
  /** The client sent nothing for `idleMs`, or did not read what it was sent for `slowReaderCloseMs`. */
  timeout: 4408,
} as const;

export type DropReason = 'over_rate' | 'bad_size' | 'slow_reader';

/** Where the transports count what they dropped and closed (the voice module's metrics). */
export interface MediaStats {
  dropped(reason: DropReason, frames?: number): void;
  closed(reason: 'too_fast' | 'idle' | 'slow_reader'): void;
}

export const noMediaStats: MediaStats = { dropped() {}, closed() {} };
