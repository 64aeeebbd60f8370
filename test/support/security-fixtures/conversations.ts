import type { SecurityFixture } from '../security.ts';
import { nextNumber } from './channels.ts';

const convPaths = [
  '/v1/conversations/:id',
  '/v1/conversations/:id/messages',
  '/v1/conversations/:id/reply',
  '/v1/conversations/:id/assign',
  '/v1/conversations/:id/tags',
  '/v1/conversations/:id/close',
  '/v1/conversations/:id/snooze',
  '/v1/conversations/:id/reopen',
  '/v1/conversations/:id/handoff',
  '/v1/conversations/:id/handoff/resolve',
  '/v1/conversations/:id/analyze',
];

/** A conversation (and its first message) on a sandbox SMS channel, in the key's own mode. */
const fixture: SecurityFixture = {
  paths: convPaths,
  async create(t, key) {
    const ch = await t.call('POST', '/v1/channels', {
      key,
      body: { type: 'sms', provider: 'sandbox', address: nextNumber() },
    });
    if (ch.status !== 201) throw new Error(`conversation fixture channel: ${ch.status} ${ch.text}`);
    const m = await t.call('POST', '/v1/messages', {
      key,
      body: { to: nextNumber(), type: 'text', text: 'hello', channel: 'sms', from: ch.body.address },
    });
    if (m.status !== 201) throw new Error(`conversation fixture message: ${m.status} ${m.text}`);
    return { id: m.body.conversation_id };
  },
  body(_method, path) {
    if (path.endsWith('/reply')) return { type: 'text', text: 'hi' };
    if (path.endsWith('/assign')) return { user_id: null };
    if (path.endsWith('/tags')) return { tags: ['vip'] };
    if (path.endsWith('/snooze')) return { until: new Date(Date.now() + 3_600_000).toISOString() };
    if (path.endsWith('/handoff')) return { reason: 'needs a human' };
    return undefined;
  },
};

export default fixture;
