import type { SecurityFixture } from '../security.ts';
import { nextNumber } from './channels.ts';

const fixture: SecurityFixture = {
  paths: ['/v1/agents/:id/messages'],
  async create(t, key) {
    const res = await t.call('POST', '/v1/agents', { key, body: { name: 'Messaging fixture agent' } });
    if (res.status !== 201) throw new Error(`agent fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
  body() {
    return { to: nextNumber(), type: 'text', text: 'hello', channel: 'sms' };
  },
};

export default fixture;
