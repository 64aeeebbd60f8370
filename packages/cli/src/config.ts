import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const DEFAULT_BASE_URL = 'http://localhost:3000';

export interface StoredConfig {
  api_key?: string;
  base_url?: string;
}

export type Env = Record<string, string | undefined>;

/** `$XDG_CONFIG_HOME/parley/config.json`, else `~/.config/parley/config.json`. */
export function configPath(env: Env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.config');
  return join(base, 'parley', 'config.json');
}

export function readConfig(env: Env): StoredConfig {
  const file = configPath(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as StoredConfig;
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    throw new Error(
      `${file} is not valid JSON; fix it or run \`parley init --api-key <key>\` again after deleting it.`,
    );
  }
}

/** Writes the config readable by the owner only (0600, its folder 0700): it holds a secret. */
export function writeConfig(env: Env, config: StoredConfig): string {
  const file = configPath(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // The mode option only applies when the file is created; an existing file keeps its mode.
  chmodSync(file, 0o600);
  return file;
}

export interface Settings {
  apiKey: string | undefined;
  baseUrl: string;
}

/** Flag, then environment, then the config file; the base URL defaults to localhost:3000. */
export function resolveSettings(
  flags: { apiKey?: string; baseUrl?: string },
  env: Env,
  config: StoredConfig,
): Settings {
  return {
    apiKey: flags.apiKey || env.PARLEY_API_KEY || config.api_key || undefined,
    baseUrl: (flags.baseUrl || env.PARLEY_BASE_URL || config.base_url || DEFAULT_BASE_URL).replace(
      /\/+$/,
      '',
    ),
  };
}
