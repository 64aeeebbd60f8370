import { createECDH, randomBytes } from 'node:crypto';
import type { SecurityFixture } from '../security.ts';

let n = 0;

/** A person's subscribed browser (made with an inbox session of a user of the key's workspace). */
const fixture: SecurityFixture = {
  paths: ['/v1/me/push-subscriptions/:id'],
  async create(t, key) {
    const email = `push${Date.now()}${n++}@example.com`;
    const password = 'correct horse battery';
    const user = await t.call('POST', '/v1/users', {
      key,
      body: { name: 'Push', email, role: 'agent', password },
    });
    if (user.status !== 201) throw new Error(`push fixture user: ${user.status} ${user.text}`);
    const login = await t.call('POST', '/v1/auth/login', { body: { email, password } });
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const sub = await t.call('POST', '/v1/me/push-subscriptions', {
      key: login.body.token,
      body: {
        endpoint: `https://push.example.net/send/${randomBytes(4).toString('hex')}`,
        keys: {
          p256dh: ecdh.getPublicKey().toString('base64url'),
          auth: randomBytes(16).toString('base64url'),
        },
      },
    });
    if (sub.status !== 201) throw new Error(`push fixture: ${sub.status} ${sub.text}`);
    return { id: sub.body.id };
  },
};

export default fixture;
