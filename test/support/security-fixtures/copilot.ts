import type { SecurityFixture } from '../security.ts';
import { nextNumber } from './channels.ts';

/** A conversation with a customer message and an agent to suggest from, in the key's own mode. */
const fixture: SecurityFixture = {
  paths: ['/v1/conversations/:id/copilot/suggest', '/v1/conversations/:id/ai-replies'],
  async create(t, key) {
    const agent = await t.call('POST', '/v1/agents', { key, body: { name: 'Copilot fixture agent' } });
    if (agent.status !== 201) throw new Error(`copilot fixture agent: ${agent.status} ${agent.text}`);
    const ch = await t.call('POST', '/v1/channels', {
      key,
      body: { type: 'sms', provider: 'sandbox', address: nextNumber() },
    });
    if (ch.status !== 201) throw new Error(`copilot fixture channel: ${ch.status} ${ch.text}`);
    const m = await t.call('POST', '/v1/messages', {
      key,
      body: { to: nextNumber(), type: 'text', text: 'hello', channel: 'sms', from: ch.body.address },
    });
    if (m.status !== 201) throw new Error(`copilot fixture message: ${m.status} ${m.text}`);
    return { id: m.body.conversation_id };
  },
};

export default fixture;
