import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { runDigests } from '../../src/modules/notifications/notifications.digest.ts';
import { digestFrequencyOf } from '../../src/modules/notifications/notifications.service.ts';
import {
  forEachStorage,
  openWindow,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

/**
 * Email digests: a person who chose an hourly digest gets the hour's notifications in one email
 * through the workspace's SMTP channel once the hour is over; two workers running the digest job
 * at once send it exactly once; a person with digests off gets none.
 */
forEachStorage('notification email digests', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let smtp: SMTPServer;
  const mails: Array<{ to: string[]; raw: string }> = [];
  let clock = new Date('2026-11-25T10:05:00.000Z');

  const session = async (name: string) => {
    const email = `${name.toLowerCase()}.${randomBytes(3).toString('hex')}@clinic.test`;
    const made = await t.call('POST', '/v1/users', {
      key: w.test,
      body: { name, email, role: 'agent', password: 'correct horse battery' },
    });
    assert.equal(made.status, 201, made.text);
    const login = await t.call('POST', '/v1/auth/login', {
      body: { email, password: 'correct horse battery' },
    });
    assert.equal(login.status, 200, login.text);
    return { id: made.body.id as string, email, token: login.body.token as string };
  };
  const run = () => runDigests(t.ctx, (userId) => digestFrequencyOf(t.ctx, userId));

  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      closeTimeout: 200,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'relay' && auth.password === 'pw') return cb(null, { user: 'relay' });
        return cb(new Error('Invalid username or password'));
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString(),
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    t = await startTestApp(storage, { modules: providerTestModules(), testing: { now: () => clock } });
    w = await t.workspace({ default_country: 'IN' });
    const email = await t.call('POST', '/v1/channels', {
      key: w.live,
      body: {
        type: 'email',
        provider: 'smtp',
        address: 'desk@clinic.test',
        credentials: {
          host: '127.0.0.1',
          port: (smtp.server.address() as AddressInfo).port,
          username: 'relay',
          password: 'pw',
          from: 'Clinic <desk@clinic.test>',
        },
      },
    });
    assert.equal(email.status, 201, email.text);
  });
  after(async () => {
    await t?.close();
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  });

  it("sends an hour's notifications in one email once the hour is over, exactly once", async () => {
    const ana = await session('Ana');
    const ben = await session('Ben');
    const set = await t.call('PUT', '/v1/me/notifications', {
      key: ana.token,
      body: { email_digest: 'hourly' },
    });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.email_digest, 'hourly');
    for (const [who, phone] of [
      [ana, '+919855500001'],
      [ana, '+919855500002'],
      [ben, '+919855500003'],
    ] as const) {
      const conv = await openWindow(t, w.test, phone, 'My tooth hurts');
      const res = await t.call('POST', `/v1/conversations/${conv}/assign`, {
        key: w.test,
        body: { user_id: who.id },
      });
      assert.equal(res.status, 200, res.text);
    }
    // The hour is not over: nothing is sent.
    await Promise.all([run(), run()]);
    assert.equal(mails.length, 0);

    clock = new Date('2026-11-25T11:00:30.000Z');
    await Promise.all([run(), run(), run()]);
    await run();
    assert.equal(mails.length, 1, 'one digest, whatever the number of runs');
    const [mail] = mails;
    assert.deepEqual(mail!.to, [ana.email]);
    assert.match(mail!.raw, /Subject: Parley: 2 notifications for you/);
    assert.equal(mail!.raw.match(/Assigned to you/g)?.length, 2);
    const digests = await t.ctx.db.selectFrom('notification_digests').selectAll().execute();
    assert.equal(digests.length, 1);
    assert.ok(digests[0]!.sent_at);
    assert.equal(digests[0]!.item_count, 2);
    assert.match(mail!.raw, new RegExp(`Message-ID: <${digests[0]!.id}@`, 'i'));
    // Ben left digests off: nothing was kept for him.
    const pending = await t.ctx.db
      .selectFrom('notification_digest_items')
      .select('user_id')
      .where('digest_id', 'is', null)
      .execute();
    assert.deepEqual(pending, []);
  });

  it('refuses an unknown digest frequency', async () => {
    const cy = await session('Cy');
    const res = await t.call('PUT', '/v1/me/notifications', {
      key: cy.token,
      body: { email_digest: 'weekly' },
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.errors[0].field, 'email_digest');
  });
});
