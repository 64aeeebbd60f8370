import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { ChannelSendError } from '../../src/modules/channels/channel-adapter.ts';
import { createEmailAdapter } from '../../src/modules/channels/email/email.adapter.ts';

/**
 * The send-timeout rule for SMTP (docs/channels.md, "Send timeouts"): without an SMTP reply, a
 * failure before the session began (refused, no greeting) is retried, and a session that stops
 * answering after the message went out (RFC 5321 section 4.5.3.2: the client waits for the reply
 * to the final "." and a server may take the message without that reply arriving) is "outcome
 * unknown": failed, never resent, by Parley or by the mail pool.
 */

const TIMEOUT_MS = 3000;

const channel = (port: number) => ({
  id: `ch_smtp_${port}`,
  workspaceId: 'ws_1',
  livemode: true,
  type: 'email' as const,
  provider: 'smtp' as const,
  address: 'support@shop.test',
  credentials: { host: '127.0.0.1', port: String(port), from: 'support@shop.test' },
  settings: {},
});
const outbound = (id: string) => ({
  id,
  to: 'ana@example.com',
  type: 'text' as const,
  text: 'Your order shipped.',
  subject: 'Order 1042',
});
const failureOf = async (p: Promise<unknown>): Promise<ChannelSendError> => {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ChannelSendError, String(err));
    return err;
  }
  assert.fail('the send succeeded');
};

describe('SMTP send timeouts', () => {
  let silentAfterData: SMTPServer;
  let silentPort = 0;
  let bodiesReceived = 0;
  let mute: Server;
  let mutePort = 0;
  const muteSockets = new Set<Socket>();

  before(async () => {
    // Takes the whole message, then never answers the final "." (a relay that hangs while queueing).
    silentAfterData = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 100,
      onData(stream) {
        stream.on('data', () => {});
        stream.on('end', () => {
          bodiesReceived++;
        });
      },
    });
    await new Promise<void>((r) => silentAfterData.listen(0, '127.0.0.1', r));
    silentPort = (silentAfterData.server.address() as AddressInfo).port;
    // Accepts the TCP connection and never greets.
    mute = createServer((socket) => {
      muteSockets.add(socket);
      socket.on('close', () => muteSockets.delete(socket));
    });
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    mutePort = (mute.address() as AddressInfo).port;
  });
  after(async () => {
    for (const s of muteSockets) s.destroy();
    await new Promise<void>((r) => mute.close(() => r()));
    await new Promise<void>((r) => silentAfterData.close(() => r()));
  });

  it('no answer after the message went out: send_outcome_unknown, not retried, sent once', async () => {
    const adapter = createEmailAdapter({ timeoutMs: TIMEOUT_MS });
    const err = await failureOf(adapter.send(channel(silentPort), outbound('msg_smtp_timeout_1')));
    assert.equal(err.code, 'send_outcome_unknown');
    assert.equal(err.outcomeUnknown, true);
    assert.equal(err.retryable, false);
    assert.match(err.message, /may or may not have been sent/);
    assert.equal(bodiesReceived, 1, 'the server got the message once; the pool did not send it again');
  });

  it('no greeting: nothing was sent, so the failure is retryable', async () => {
    const adapter = createEmailAdapter({ timeoutMs: TIMEOUT_MS });
    const err = await failureOf(adapter.send(channel(mutePort), outbound('msg_smtp_timeout_2')));
    assert.equal(err.code, 'provider_error');
    assert.equal(err.retryable, true);
    assert.equal(err.outcomeUnknown, false);
  });

  it('connection refused: retryable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const adapter = createEmailAdapter({ timeoutMs: TIMEOUT_MS });
    const err = await failureOf(adapter.send(channel(port), outbound('msg_smtp_refused')));
    assert.equal(err.code, 'provider_error');
    assert.equal(err.retryable, true);
    assert.equal(err.providerCode, 'ECONNREFUSED');
  });
});
