import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** What of `ws`'s frame parser the fast path reads: whether it is between frames with nothing held. */
interface ReceiverState {
  _state: number;
  _bufferedBytes: number;
  _fragmented: number;
  writableLength: number;
  write(chunk: Buffer): boolean;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** `ws`'s receiver between frames (its GET_INFO state), as ws 8 numbers it. */
const GET_INFO = 0;

/**
 * A media socket's binary frames read straight from the TCP socket, past `ws`'s parser: a caller's
 * audio comes as small masked binary frames (50 a second a call), one per read or, when the
 * server's loop was busy, several in one read, and `ws` spends per frame a stream write, several
 * buffer views, an array and two events on it. While `ws`'s parser holds nothing, each whole
 * unfragmented binary frame of a client (FIN, binary, masked, a length under 64 KiB) at the start
 * of a read, and each one after it, is unmasked in place (the read's buffer is the socket's own)
 * and its payload handed to `onBinary`; the rest of the read from the first thing that is not such
 * a frame (text, control frames, a frame that goes on in the next read, anything after the socket
 * started closing) goes to `ws`'s parser as before, so its checks and close codes are unchanged.
 *
 * Returns false (nothing changed) when the socket is not a served `ws` socket of the shape this
 * knows (a test's stand-in, another `ws` version).
 */
export function readBinaryFramesDirectly(ws: WebSocket, onBinary: (payload: Buffer) => void): boolean {
  const inner = ws as unknown as { _socket?: Socket | null; _receiver?: ReceiverState | null };
  const socket = inner._socket;
  const receiver = inner._receiver;
  if (!socket || !receiver) return false;
  if (
    typeof receiver._state !== 'number' ||
    typeof receiver._bufferedBytes !== 'number' ||
    typeof receiver._fragmented !== 'number' ||
    typeof receiver.write !== 'function'
  )
    return false;
  const wsOnData = socket.listeners('data').find((f) => (f as { name?: string }).name === 'socketOnData');
  if (!wsOnData) return false;
  const OPEN = ws.OPEN;
  const idle = () =>
    ws.readyState === OPEN &&
    receiver._state === GET_INFO &&
    receiver._bufferedBytes === 0 &&
    receiver._fragmented === 0 &&
    receiver.writableLength === 0;
  const onData = (chunk: Buffer) => {
    let at = 0;
    while (at < chunk.length && idle()) {
      const size = wholeBinaryFrame(chunk, at);
      if (!size) break;
      // The payload after the header: 2 bytes (or 4 with a 16-bit length) and the 4-byte mask.
      onBinary(chunk.subarray(at + ((chunk[at + 1]! & 0x7f) === 126 ? 8 : 6), at + size));
      at += size;
    }
    if (at === chunk.length) return;
    // As `ws` itself does with a read.
    if (!receiver.write(at === 0 ? chunk : chunk.subarray(at))) socket.pause();
  };
  socket.removeListener('data', wsOnData as (chunk: Buffer) => void);
  socket.on('data', onData);
  socket.once('close', () => socket.removeListener('data', onData));
  return true;
}

/**
 * When `chunk` holds from `at` one whole final, masked binary frame (≤ 65,535 bytes): unmasks its
 * payload in place and returns the frame's size (header included); else 0, nothing changed.
 */
function wholeBinaryFrame(chunk: Buffer, at: number): number {
  const n = chunk.length - at;
  // FIN + binary, no reserved bits (no compression on the media socket).
  if (n < 6 || chunk[at] !== 0x82) return 0;
  const b1 = chunk[at + 1]!;
  if ((b1 & 0x80) === 0) return 0; // a client's frame must be masked: ws refuses it
  let len = b1 & 0x7f;
  let head = 2;
  if (len === 126) {
    if (n < 8) return 0;
    len = (chunk[at + 2]! << 8) | chunk[at + 3]!;
    head = 4;
  } else if (len === 127) return 0;
  const size = head + 4 + len;
  if (n < size) return 0;
  unmask(chunk, at + head + 4, len);
  return size;
}

/** Unmasks `len` bytes of `chunk` from `at` in place, with the 4-byte key just before them. */
function unmask(chunk: Buffer, at: number, len: number): void {
  const n = at + len;
  const m0 = chunk[at - 4]!;
  const m1 = chunk[at - 3]!;
  const m2 = chunk[at - 2]!;
  const m3 = chunk[at - 1]!;
  if (m0 | m1 | m2 | m3) {
    let i = at;
    const start = chunk.byteOffset + at;
    if ((start & 3) === 0 && len >= 16) {
      // Four bytes at a time where the payload is aligned (a read's buffer starts aligned, and a
      // 20 ms frame's payload begins 8 bytes in).
      const words = len >> 2;
      const w = new Uint32Array(chunk.buffer, start, words);
      const mask = LITTLE_ENDIAN
        ? m0 | (m1 << 8) | (m2 << 16) | (m3 << 24)
        : (m0 << 24) | (m1 << 16) | (m2 << 8) | m3;
      for (let k = 0; k < words; k++) w[k] = w[k]! ^ mask;
      i = at + (words << 2);
    }
    for (const end4 = at + (len & ~3); i < end4; i += 4) {
      chunk[i] = chunk[i]! ^ m0;
      chunk[i + 1] = chunk[i + 1]! ^ m1;
      chunk[i + 2] = chunk[i + 2]! ^ m2;
      chunk[i + 3] = chunk[i + 3]! ^ m3;
    }
    if (i < n) chunk[i] = chunk[i]! ^ m0;
    if (i + 1 < n) chunk[i + 1] = chunk[i + 1]! ^ m1;
    if (i + 2 < n) chunk[i + 2] = chunk[i + 2]! ^ m2;
  }
}
