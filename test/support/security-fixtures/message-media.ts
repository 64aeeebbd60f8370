import { randomBytes } from 'node:crypto';
import { eventually } from '../harness.ts';
import type { SecurityFixture } from '../security.ts';

/** A customer's email with an attachment, so the owner can download it. */
const fixture: SecurityFixture = {
  paths: ['/v1/messages/:id/media'],
  async create(t, key) {
    const tag = randomBytes(6).toString('hex');
    const ch = await t.call('POST', '/v1/channels', {
      key,
      body: {
        type: 'email',
        provider: 'smtp',
        address: `support-${tag}@shop.test`,
        credentials: {
          host: '127.0.0.1',
          port: 2525,
          username: 'u',
          password: 'p',
          from: `support-${tag}@shop.test`,
        },
      },
    });
    if (ch.status !== 201) throw new Error(`media fixture channel: ${ch.status} ${ch.text}`);
    const res = await t.call('POST', `/hooks/email/${ch.body.id}`, {
      headers: { authorization: `Bearer ${ch.body.inbound_token}` },
      body: {
        from: 'ana@example.com',
        subject: 'Photo',
        text: 'See attached.',
        headers: { 'Message-ID': `<${tag}@example.com>` },
        Attachments: [
          { Name: 'a.txt', ContentType: 'text/plain', Content: Buffer.from('hi').toString('base64') },
        ],
      },
    });
    if (res.status !== 200) throw new Error(`media fixture inbound: ${res.status} ${res.text}`);
    return eventually(async () => {
      const list = await t.call('GET', `/v1/conversations?channel=email&limit=100`, { key });
      for (const c of list.body.data ?? []) {
        const msgs = await t.call('GET', `/v1/conversations/${c.id}/messages`, { key });
        const m = (msgs.body.data ?? []).find((x: { channel_id: string }) => x.channel_id === ch.body.id);
        if (m) return { id: m.id as string };
      }
      return undefined;
    });
  },
};

export default fixture;
