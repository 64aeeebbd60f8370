import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';

/** The archive format's version: restore refuses archives of a version it does not know. */
export const BACKUP_FORMAT_VERSION = 1;

/** Names of the entries in a backup archive (a zip). */
export const ENTRY = {
  manifest: 'manifest.json',
  sqlite: 'database/parley.db',
  postgres: 'database/parley.pgdump',
  key: 'secret.key',
} as const;

/** What `manifest.json` records about the archive it opens. */
export interface BackupManifest {
  format: 'parley-backup';
  version: number;
  storage: 'sqlite' | 'postgres';
  created_at: string;
  parley_version: string;
  /** Names of the migrations applied in the snapshot, in the order they ran. */
  migrations: string[];
  /** Rows of each table in the snapshot (PostgreSQL: `schema.table`). */
  counts: Record<string, number>;
  /** `sha256:` and 32 hex digits identifying the secret key (never the key itself). */
  key_fingerprint: string;
  /** Whether the archive holds the key file itself (`--include-key`). */
  key_included: boolean;
}

/** Thrown for anything the operator must fix; the CLI prints its message and exits 1. */
export class BackupError extends Error {}

/**
 * Identifies a secret key without revealing it: the key is 32 random bytes, so a digest of it
 * (with a label of its own, unlike any other use of the key) tells nothing of it.
 */
export function keyFingerprint(key: Buffer): string {
  return `sha256:${createHash('sha256').update('parley-backup-key\0').update(key).digest('hex').slice(0, 32)}`;
}

/** Reads a key file's text (base64, as `secret.key` holds it) into its bytes. */
export function parseKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  if (!/^[A-Za-z0-9+/=_-]{43,}$/.test(trimmed) || key.length < 32)
    throw new BackupError(`${where} is not a base64 key of at least 32 bytes.`);
  return key;
}

/** The key this configuration seals credentials with, if there is one yet (never generates one). */
export function currentKey(config: Config): { key: Buffer; text: string } | undefined {
  if (config.secretKey) return { key: Buffer.from(config.secretKey, 'base64'), text: config.secretKey };
  const file = join(config.dataDir, 'secret.key');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8').trim();
  return { key: parseKey(text, file), text };
}
