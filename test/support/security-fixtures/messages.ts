import type { SecurityFixture } from '../security.ts';
import { nextNumber } from './channels.ts';

const fixture: SecurityFixture = {
  paths: ['/v1/messages/:id'],
  async create(t, key) {
    const ch = await t.call('POST', '/v1/channels', {
      key,
      body: { type: 'sms', provider: 'sandbox', address: nextNumber() },
    });
    if (ch.status !== 201) throw new Error(`message fixture channel: ${ch.status} ${ch.text}`);
    const m = await t.call('POST', '/v1/messages', {
      key,
      body: { to: nextNumber(), type: 'text', text: 'hello', channel: 'sms', from: ch.body.address },
    });
    if (m.status !== 201) throw new Error(`message fixture: ${m.status} ${m.text}`);
    return { id: m.body.id };
  },
};

export default fixture;
