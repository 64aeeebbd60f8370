import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file, in the data directory, that keeps the first start's keys for whoever runs the server. */
export const FIRST_START_KEYS_FILE = 'first-start-keys.env';

export interface FirstStartKeys {
  workspaceId: string;
  liveKey: string;
  testKey: string;
}

/**
 * Writes the keys created on the first start of an empty database to
 * `<data dir>/first-start-keys.env`, readable by its owner only (0600), as well as the banner that
 * shows them once: a container's log may be kept by its platform, or lost, and this file is where
 * an operator finds them (`cat` it from the data volume, store the keys, delete it). Written only
 * here, never logged. A file left by an earlier database is replaced (it holds keys that no longer
 * exist); removing it first also keeps the write from following a link planted in its place.
 * Returns the file's path, or the error that stopped the write (the server starts anyway).
 */
export function writeFirstStartKeys(
  dataDir: string,
  keys: FirstStartKeys,
  now: Date = new Date(),
): { path: string } | { error: Error } {
  const path = join(dataDir, FIRST_START_KEYS_FILE);
  const text = [
    `# Parley: the keys of the "Default workspace", created at the first start (${now.toISOString()}).`,
    '# Shown once in the log as well. Store them somewhere safe (a password manager, your',
    "# platform's secrets), then delete this file. Revoke a key with DELETE /v1/api-keys/{id}.",
    `PARLEY_WORKSPACE_ID=${keys.workspaceId}`,
    `PARLEY_LIVE_KEY=${keys.liveKey}`,
    `PARLEY_TEST_KEY=${keys.testKey}`,
    '',
  ].join('\n');
  try {
    mkdirSync(dataDir, { recursive: true });
    rmSync(path, { force: true });
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    // The mode above is narrowed by the umask, never widened; this states it whatever the umask.
    chmodSync(path, 0o600);
    return { path };
  } catch (err) {
    return { error: err as Error };
  }
}
