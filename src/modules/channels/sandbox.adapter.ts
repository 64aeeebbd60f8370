import { randomUUID } from 'node:crypto';
import { type ChannelAdapter, ChannelSendError } from './channel-adapter.ts';

/**
 * The sandbox provider: test mode's only channel. Sends go nowhere; the messaging module
 * advances them to delivered and read by itself. `settings.fail_to` lists recipients whose
 * sends fail (non-retryable), so integrators can rehearse failures.
 */
export const sandboxAdapter: ChannelAdapter = {
  provider: 'sandbox',

  async send(channel, message) {
    const failTo = Array.isArray(channel.settings.fail_to) ? (channel.settings.fail_to as unknown[]) : [];
    if (failTo.includes(message.to)) {
      throw new ChannelSendError(
        'sandbox_undeliverable',
        `The sandbox refuses messages to ${message.to} (settings.fail_to).`,
      );
    }
    return { providerMessageId: `sbx_${message.id}` };
  },

  // Sandbox messages arrive through the authenticated `POST /v1/sandbox/inbound`, never a provider webhook.
  verifyInbound(): boolean {
    return false;
  },

  parseInbound(_channel, request) {
    const body = (request.body ?? {}) as {
      from?: string;
      text?: string;
      to?: string;
      name?: string;
      id?: string;
    };
    return {
      messages: [
        {
          providerMessageId: body.id ?? `sbx_in_${randomUUID()}`,
          from: String(body.from ?? ''),
          to: body.to,
          profileName: body.name,
          type: 'text',
          text: String(body.text ?? ''),
          timestamp: new Date(),
        },
      ],
      statuses: [],
      notices: [],
    };
  },
};
