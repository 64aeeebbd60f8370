/**
 * The voice benchmark's limit (issue 52, item 13): a bare WebSocket server that receives the
 * callers' 20 ms frames and sends frames back over the same sockets, as many as Parley sent in the
 * same run (BENCH_FLOOR_RATIO: frames out per frame in), with nothing else: no VAD, no recogniser,
 * no agent, no pacing. Its CPU per call-second is what this machine needs to move that audio at
 * all; Parley's figure beside it, and their ratio, travel between machines.
 * Prints `port N` once listening.
 */
import { WebSocketServer } from 'ws';

const ratio = Number(process.env.BENCH_FLOOR_RATIO ?? 1);
const wss = new WebSocketServer({ port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => {
  let credit = 0;
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return;
    credit += ratio;
    while (credit >= 1) {
      ws.send(data as Buffer, { binary: true });
      credit -= 1;
    }
  });
  ws.on('error', () => ws.terminate());
});
wss.on('listening', () => console.log(`port ${(wss.address() as { port: number }).port}`));
