import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { z } from 'zod';
import { loadChannelConfig } from '../../src/modules/channels/channels.service.ts';
import { allMigrations, modules } from '../../src/modules/index.ts';
import type { Module } from '../../src/modules/module.ts';
import { restoreBackup } from '../../src/platform/backup/index.ts';
import { keyFingerprint } from '../../src/platform/backup/manifest.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { openDatabase } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import { defineJob } from '../../src/platform/queue/queue.ts';
import { type Parley, startParley } from '../../src/server.ts';
import {
  createPgDatabase,
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { REPO_ROOT } from '../support/server-process.ts';

/** A job no module handles: it waits in the queue until an app that registers it runs it. */
const probeJob = defineJob({ name: 'backup_probe', payload: z.object({ note: z.string() }) });

/** Runs `parley-server <args>` from the sources with only the given Parley settings. */
function parleyServer(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('PARLEY_') && k !== 'DATABASE_URL'),
  );
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(REPO_ROOT, 'src/parley-server.ts'), ...args],
    { env: { ...clean, PARLEY_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

forEachStorage('backup and restore', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let restored: Parley | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'parley-backup-test-'));
  const drops: Array<() => Promise<void>> = [];
  /** The settings that locate the running app's storage. */
  const source = () => ({
    PARLEY_SECRET_KEY: t.config.secretKey!,
    PARLEY_DATA_DIR: t.config.dataDir,
    ...(t.config.databaseUrl ? { DATABASE_URL: t.config.databaseUrl } : {}),
  });
  /** A new, empty place to restore into: a data folder, and on PostgreSQL an empty database. */
  const emptyTarget = async (): Promise<Record<string, string>> => {
    const dataDir = join(mkdtempSync(join(scratch, 'target-')), 'data');
    if (storage === 'sqlite') return { PARLEY_DATA_DIR: dataDir };
    const db = await createPgDatabase();
    drops.push(db.drop);
    return { PARLEY_DATA_DIR: dataDir, DATABASE_URL: db.url };
  };

  before(async () => {
    t = await startTestApp(storage);
    w = await t.workspace();
  });
  after(async () => {
    await restored?.close();
    await t?.close();
    for (const drop of drops) await drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  let archive: string;
  const acknowledged: string[] = [];
  let channelId: string;
  let contactId: string;

  it('backs up while messages are being written, and the archive restores every one acknowledged before it began', async (tc) => {
    const channel = await t.call('POST', '/v1/channels', {
      key: w.live,
      body: {
        type: 'whatsapp',
        provider: 'meta',
        address: '+1 415 555 0142',
        credentials: {
          phone_number_id: '77',
          business_account_id: '88',
          access_token: 'EAAG-restore-me',
          verify_token: 'verify-restore',
          app_secret: 'app-secret',
        },
      },
    });
    assert.equal(channel.status, 201, channel.text);
    channelId = channel.body.id;
    const contact = await t.call('POST', '/v1/contacts', {
      key: w.test,
      body: { name: 'Asha Rao', phone: '+14155550190' },
    });
    assert.equal(contact.status, 201, contact.text);
    contactId = contact.body.id;
    await t.ctx.queue.enqueue(t.ctx.db, probeJob, { note: 'made before the backup' });

    // Traffic: one send after another (each a new contact and conversation) until told to stop.
    let backupStarted = false;
    let stop = false;
    let sentDuringBackup = 0;
    const send = async (i: number) => {
      const r = await t.call('POST', '/v1/messages', {
        key: w.test,
        body: {
          to: `+1415556${String(i).padStart(4, '0')}`,
          channel: 'sms',
          type: 'text',
          text: `Load ${i}`,
        },
      });
      assert.equal(r.status, 201, r.text);
      if (!backupStarted) acknowledged.push(r.body.id);
      else sentDuringBackup++;
    };
    const load = (async () => {
      for (let i = 0; !stop; i++) await send(i);
    })();
    await eventually(async () => acknowledged.length >= 20);

    archive = join(scratch, 'parley-backup.zip');
    backupStarted = true;
    // Every contact committed by now (each send's new contact among them) must come back.
    const contactsBefore = (
      await t.ctx.db.selectFrom('contacts').select('id').where('workspace_id', '=', w.id).execute()
    ).map((c) => c.id);
    const startedAt = performance.now();
    const made = await parleyServer(['backup', '--out', archive], source());
    const backupMs = Math.round(performance.now() - startedAt);
    stop = true;
    await load;
    assert.equal(made.code, 0, made.output);
    assert.match(made.output, /Backup written to .*key not included, fingerprint sha256:/);
    assert.ok(sentDuringBackup > 0, 'messages were written while the backup ran');
    tc.diagnostic(
      `backup process ${backupMs} ms (start included), ${sentDuringBackup} messages written meanwhile, ${acknowledged.length} before, archive ${statSync(archive).size} bytes`,
    );
    assert.equal(statSync(archive).mode & 0o077, 0, 'the archive is readable by its owner only');

    const target = await emptyTarget();
    const restore = await parleyServer(['restore', archive], {
      ...target,
      PARLEY_SECRET_KEY: t.config.secretKey!,
    });
    assert.equal(restore.code, 0, restore.output);
    assert.match(restore.output, /Restored the backup of .* 0 newer migration\(s\) run/);

    // The restored install, started with the probe job's handler.
    let ran: (note: string) => void;
    const probeRan = new Promise<string>((resolve) => (ran = resolve));
    const probe: Module = {
      name: 'backup-probe',
      setup: (ctx) => ctx.queue.register(probeJob, async (p) => ran(p.note)),
    };
    const config = loadConfig({
      ...target,
      PARLEY_SECRET_KEY: t.config.secretKey!,
      PARLEY_LOG_LEVEL: 'silent',
      PARLEY_JOB_POLL_MS: '100',
      PORT: '0',
    });
    config.testing = { pgPools: { db: 4, queue: 2 } };
    restored = await startParley(config, { listen: false, bootstrap: false, modules: [...modules, probe] });
    const db = restored.ctx.db;

    const found = await db.selectFrom('messages').select('id').where('id', 'in', acknowledged).execute();
    assert.equal(found.length, acknowledged.length, 'every message acknowledged before the backup is there');
    const restoredContacts = await db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', w.id)
      .execute();
    const ids = new Set(restoredContacts.map((c) => c.id));
    assert.ok(contactsBefore.includes(contactId) && contactsBefore.length >= acknowledged.length + 1);
    assert.deepEqual(
      contactsBefore.filter((id) => !ids.has(id)),
      [],
      'every contact made before the backup is there',
    );
    assert.equal(
      (await loadChannelConfig(restored.ctx, channelId)).credentials.access_token,
      'EAAG-restore-me',
    );
    assert.equal(await probeRan, 'made before the backup');
    // The API answers on it with the same keys.
    const me = await restored.app.inject({
      method: 'GET',
      url: `/v1/contacts/${contactId}`,
      headers: { authorization: `Bearer ${w.test}` },
    });
    assert.equal(me.statusCode, 200, me.body);
  });

  it('records what it holds in its manifest, and refuses a wrong key, a missing key and a target that is not empty', async () => {
    const { readArchive } = await import('../../src/platform/backup/archive.ts');
    const dir = mkdtempSync(join(scratch, 'read-'));
    const entries = await readArchive(archive, dir, ['manifest.json', 'secret.key']);
    const manifest = JSON.parse(readFileSync(entries.get('manifest.json')!, 'utf8'));
    assert.equal(manifest.format, 'parley-backup');
    assert.equal(manifest.storage, storage);
    assert.equal(manifest.key_included, false);
    assert.ok(!entries.has('secret.key'), 'no key in an archive made without --include-key');
    assert.equal(manifest.key_fingerprint, keyFingerprint(Buffer.from(t.config.secretKey!, 'base64')));
    assert.ok(manifest.migrations.includes('0000_platform'));
    const messages = manifest.counts[storage === 'sqlite' ? 'messages' : 'public.messages'];
    assert.ok(messages >= acknowledged.length, `counts messages: ${messages}`);
    assert.ok(!readFileSync(archive).includes(t.config.secretKey!), 'the key is not in the archive');

    const neverMigrate = async () => assert.fail('a refused restore migrates nothing');
    let knownMigrations = Object.keys(allMigrations());
    const refuse = async (env: Record<string, string>, keyFile?: string) => {
      const config = loadConfig({ ...env, PARLEY_LOG_LEVEL: 'silent' });
      return restoreBackup(config, { file: archive, keyFile, knownMigrations, migrate: neverMigrate }).then(
        () => assert.fail('restored'),
        (err: Error) => err.message,
      );
    };
    const wrongKey = randomBytes(32).toString('base64');
    const target = await emptyTarget();
    assert.match(
      await refuse({ ...target, PARLEY_SECRET_KEY: wrongKey }),
      /is not the one this backup was made with/,
    );
    const keyFile = join(scratch, 'wrong.key');
    writeFileSync(keyFile, `${wrongKey}\n`);
    assert.match(await refuse({ ...target }, keyFile), /wrong\.key\) is not the one/);
    assert.match(await refuse({ ...target }), /holds no secret key .*--include-key/);
    assert.ok(!existsSync(join(target.PARLEY_DATA_DIR!, 'parley.db')), 'nothing written');
    // The running app's own storage is not empty.
    assert.match(await refuse(source()), /Restore needs an empty (data folder|database)/);
    // Another storage than the archive's.
    const other: Record<string, string> =
      storage === 'sqlite'
        ? { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PARLEY_SECRET_KEY: t.config.secretKey! }
        : { PARLEY_DATA_DIR: join(scratch, 'elsewhere'), PARLEY_SECRET_KEY: t.config.secretKey! };
    assert.match(await refuse(other), /This backup is of (a PostgreSQL|an embedded)/);
    // An archive of a newer release: a migration this one does not know.
    knownMigrations = knownMigrations.filter((m) => m !== manifest.migrations.at(-1));
    assert.match(
      await refuse({ ...target, PARLEY_SECRET_KEY: t.config.secretKey! }),
      /made by a newer Parley .*this release does not know/,
    );
  });

  it('with --include-key, restores onto an install that has no key yet and writes the key file', async () => {
    const withKey = join(scratch, 'with-key.zip');
    const made = await parleyServer(['backup', '--out', withKey, '--include-key'], source());
    assert.equal(made.code, 0, made.output);
    assert.match(made.output, /key included/);
    const again = await parleyServer(['backup', '--out', withKey], source());
    assert.equal(again.code, 1);
    assert.match(again.output, /exists already/);
    const nowhere = await parleyServer(
      ['backup', '--out', join(scratch, 'no-such-folder', 'b.zip')],
      source(),
    );
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.output, /no-such-folder\/b\.zip does not exist; create it first/);

    const target = await emptyTarget();
    // PostgreSQL needs PARLEY_SECRET_KEY to start; a restore without it is still allowed, and says so.
    const restore = await parleyServer(['restore', withKey], target);
    assert.equal(restore.code, 0, restore.output);
    const keyFile = join(target.PARLEY_DATA_DIR!, 'secret.key');
    assert.equal(readFileSync(keyFile, 'utf8').trim(), t.config.secretKey);
    assert.equal(statSync(keyFile).mode & 0o077, 0);
    if (storage === 'postgres') assert.match(restore.output, /set PARLEY_SECRET_KEY to its contents/);
  });
  it('restores an archive of an older release and runs the migrations it had not', async () => {
    // An install that stopped at its first migrations: what an older release left.
    const old = await emptyTarget();
    const all = allMigrations();
    const names = Object.keys(all).sort();
    const kept = Object.fromEntries(names.slice(0, 10).map((n) => [n, all[n]!]));
    const handle = await openDatabase({
      databaseUrl: old.DATABASE_URL,
      sqlitePath: join(old.PARLEY_DATA_DIR!, 'parley.db'),
      poolSize: 2,
    });
    try {
      await migrateToLatest(handle.db, handle.dialect, kept);
    } finally {
      await handle.close();
    }
    const key = randomBytes(32).toString('base64');
    const oldArchive = join(scratch, 'older.zip');
    const made = await parleyServer(['backup', '--out', oldArchive], { ...old, PARLEY_SECRET_KEY: key });
    assert.equal(made.code, 0, made.output);
    assert.match(made.output, /10 migrations/);

    const target = await emptyTarget();
    const restore = await parleyServer(['restore', oldArchive], { ...target, PARLEY_SECRET_KEY: key });
    assert.equal(restore.code, 0, restore.output);
    assert.match(restore.output, new RegExp(`; ${names.length - 10} newer migration\\(s\\) run`));
  });
});
