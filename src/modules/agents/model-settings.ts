import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { type FieldError, validationFailed } from '../../platform/errors.ts';
import { describe } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { AgentsTable } from './agents.tables.ts';

/**
 * The model that writes an agent's replies: its provider (a protocol, or a preset that fills the
 * base URL of a well-known OpenAI-compatible server), how it calls tools, its time budget and the
 * models tried after it fails. The provider list is said once here; the AI module reads `protocol`.
 */
export type ModelProtocol = 'builtin' | 'openai' | 'anthropic' | 'openai_compatible' | 'google' | 'azure';

export const modelPresets = {
  builtin: { protocol: 'builtin' },
  openai: { protocol: 'openai' },
  anthropic: { protocol: 'anthropic' },
  openai_compatible: { protocol: 'openai_compatible' },
  google: { protocol: 'google' },
  azure: { protocol: 'azure' },
  ollama: { protocol: 'openai_compatible', baseUrl: 'http://localhost:11434/v1' },
  vllm: { protocol: 'openai_compatible', baseUrl: 'http://localhost:8000/v1' },
  llamacpp: { protocol: 'openai_compatible', baseUrl: 'http://localhost:8080/v1' },
  lmstudio: { protocol: 'openai_compatible', baseUrl: 'http://localhost:1234/v1' },
  groq: { protocol: 'openai_compatible', baseUrl: 'https://api.groq.com/openai/v1' },
  openrouter: { protocol: 'openai_compatible', baseUrl: 'https://openrouter.ai/api/v1' },
  together: { protocol: 'openai_compatible', baseUrl: 'https://api.together.xyz/v1' },
} as const satisfies Record<string, { protocol: ModelProtocol; baseUrl?: string }>;

export type ModelProvider = keyof typeof modelPresets;
export const modelProviders = Object.keys(modelPresets) as [ModelProvider, ...ModelProvider[]];
export const toolCallingModes = ['auto', 'native', 'json'] as const;
export type ToolCalling = (typeof toolCallingModes)[number];

/** One model the agent may use: the AI module builds its client from this. */
export interface ModelRef {
  provider: ModelProvider;
  name: string;
  /** The given base URL, else the preset's; null: the provider's default. */
  baseUrl: string | null;
  /** The model's own key, else the server's OPENAI_API_KEY / ANTHROPIC_API_KEY, else null. */
  apiKey: string | null;
}

export interface ModelConfig extends ModelRef {
  /** `native`: tools as functions; `json`: tools as the JSON `tool` action; `auto`: native, JSON if refused. */
  toolCalling?: ToolCalling;
  /** Budget for one reply (first token and the whole answer); null: the caller's default. */
  timeoutMs?: number | null;
  /** Tried in order after this model fails: other models, or the built-in engine. */
  fallbacks?: Array<ModelRef | 'builtin'>;
}

/** The protocol a provider speaks and the base URL its preset fills. */
export function modelPreset(provider: ModelProvider): { protocol: ModelProtocol; baseUrl?: string } {
  return modelPresets[provider];
}

const providerField = describe(
  z.enum(modelProviders),
  'Who generates replies: `builtin` (no network), an LLM protocol (`openai`, `anthropic`, `google`, `azure`, `openai_compatible`) or a preset for an OpenAI-compatible server that fills the base URL (`ollama`, `vllm`, `llamacpp`, `lmstudio`, `groq`, `openrouter`, `together`).',
  'ollama',
);
const nameField = describe(
  z.string().trim().min(1).max(200),
  'Model name at the provider (the deployment name on Azure; required for LLM providers).',
  'llama3.1:8b',
);
const baseUrlField = describe(
  z.string().url().max(2000).nullable(),
  "Base URL of the API (required for `openai_compatible` and `azure`; a preset's default otherwise).",
  'http://localhost:11434/v1',
);
const apiKeyField = describe(
  z.string().min(1).max(1000).nullable(),
  'Write-only provider key, stored encrypted; null removes it. Without one, OPENAI_API_KEY / ANTHROPIC_API_KEY from the server environment.',
  'sk-...',
);

const fallbackInput = z.union([
  z.literal('builtin'),
  z.strictObject({
    provider: describe(
      z.enum(modelProviders).exclude(['builtin']),
      "The fallback model's provider (a protocol or a preset, as `model.provider`).",
      'openai',
    ),
    name: nameField,
    base_url: baseUrlField.optional(),
    api_key: apiKeyField.optional(),
  }),
]);

export const modelInput = z.strictObject({
  provider: providerField.optional(),
  name: nameField.optional(),
  base_url: baseUrlField.optional(),
  api_key: apiKeyField.optional(),
  tool_calling: describe(
    z.enum(toolCallingModes),
    'How the model calls tools: `native` (function calling), `json` (a JSON action in the answer, for models without tool support) or `auto` (native, and JSON when the server refuses tools).',
    'auto',
  ).optional(),
  timeout_ms: describe(
    z.number().int().min(1000).max(120_000).nullable(),
    'Longest wait for one reply, first token and whole answer (ms); null: 20 s on chat, 15 s on a call.',
    30_000,
  ).optional(),
  fallbacks: describe(
    z.array(fallbackInput).max(3),
    'Tried in order when the model fails (down, error, timeout, unreadable answer): another model, or `builtin` for the built-in engine. The list is replaced whole; an entry without `api_key` keeps none.',
    [{ provider: 'openai', name: 'gpt-4o-mini' }, 'builtin'],
  ).optional(),
});
export type ModelInput = z.infer<typeof modelInput>;

const fallbackView = z.union([
  z.literal('builtin'),
  z.object({
    provider: describe(z.enum(modelProviders), "The fallback model's provider.", 'openai'),
    name: describe(z.string(), "The fallback model's name.", 'gpt-4o-mini'),
    base_url: describe(z.string().nullable(), "The fallback model's base URL, if given.", null),
    api_key_set: describe(z.boolean(), 'Whether it has its own API key (never returned).', false),
  }),
]);

export const modelObject = describe(
  z.object({
    provider: describe(z.enum(modelProviders), 'Model provider.', 'builtin'),
    name: describe(z.string(), 'Model name.', 'builtin'),
    base_url: describe(z.string().nullable(), 'Base URL of the provider API.', null),
    api_key_set: describe(
      z.boolean(),
      'Whether the agent has its own API key (the key itself is never returned).',
      false,
    ),
    tool_calling: describe(z.enum(toolCallingModes), 'How the model calls tools.', 'auto'),
    timeout_ms: describe(z.number().int().nullable(), 'Budget for one reply (ms); null: the default.', null),
    fallbacks: describe(z.array(fallbackView), 'Models tried in order when this one fails.', []),
  }),
  'The model that writes replies.',
);

interface StoredFallback {
  provider: ModelProvider;
  name: string;
  base_url: string | null;
  /** Sealed with `ctx.secrets`. */
  api_key: string | null;
}
/** `agents.model_options` as stored (JSON); null: the defaults. */
interface StoredModelOptions {
  tool_calling?: ToolCalling;
  timeout_ms?: number | null;
  fallbacks?: Array<StoredFallback | 'builtin'>;
}

type ModelState = Pick<
  AgentsTable,
  'model_provider' | 'model_name' | 'model_base_url' | 'model_api_key' | 'model_options'
>;

const options = (row: Pick<AgentsTable, 'model_options'>) =>
  fromJson<StoredModelOptions>(row.model_options ?? null, {});

export function presentModel(row: ModelState) {
  const o = options(row);
  return {
    provider: row.model_provider,
    name: row.model_name,
    base_url: row.model_base_url,
    api_key_set: row.model_api_key !== null,
    tool_calling: o.tool_calling ?? 'auto',
    timeout_ms: o.timeout_ms ?? null,
    fallbacks: (o.fallbacks ?? []).map((f) =>
      f === 'builtin'
        ? f
        : { provider: f.provider, name: f.name, base_url: f.base_url, api_key_set: f.api_key !== null },
    ),
  };
}

function modelRef(
  ctx: AppContext,
  provider: ModelProvider,
  name: string,
  baseUrl: string | null,
  sealedKey: string | null,
): ModelRef {
  const preset = modelPreset(provider);
  const own = sealedKey ? ctx.secrets.open(sealedKey) : null;
  const fromEnv =
    preset.protocol === 'openai'
      ? ctx.config.openaiApiKey
      : preset.protocol === 'anthropic'
        ? ctx.config.anthropicApiKey
        : undefined;
  return {
    provider,
    name,
    baseUrl: baseUrl ?? preset.baseUrl ?? null,
    apiKey: own ?? fromEnv ?? null,
  };
}

/** The model as the reply engine uses it: keys opened, presets' base URLs filled. */
export function modelConfig(ctx: AppContext, row: ModelState): ModelConfig {
  const o = options(row);
  return {
    ...modelRef(ctx, row.model_provider, row.model_name, row.model_base_url, row.model_api_key),
    toolCalling: o.tool_calling ?? 'auto',
    timeoutMs: o.timeout_ms ?? null,
    fallbacks: (o.fallbacks ?? []).map((f) =>
      f === 'builtin' ? f : modelRef(ctx, f.provider, f.name, f.base_url, f.api_key),
    ),
  };
}

const needsBaseUrl = (p: ModelProvider) => p === 'openai_compatible' || p === 'azure';

/** The stored model from an input merged over the previous one (null: a new agent). */
export function buildModel(ctx: AppContext, input: ModelInput | undefined, previous: ModelState | null) {
  const provider = input?.provider ?? previous?.model_provider ?? 'builtin';
  const sameProvider = previous?.model_provider === provider;
  const name =
    input?.name ??
    (sameProvider ? previous?.model_name : undefined) ??
    (provider === 'builtin' ? 'builtin' : undefined);
  const baseUrl =
    input?.base_url !== undefined ? input.base_url : sameProvider ? (previous?.model_base_url ?? null) : null;
  // A key belongs to one provider: switching provider without a new key drops the old one.
  const apiKey =
    input?.api_key !== undefined
      ? input.api_key === null
        ? null
        : ctx.secrets.seal(input.api_key)
      : sameProvider
        ? (previous?.model_api_key ?? null)
        : null;
  const errors: FieldError[] = [];
  if (!name) errors.push({ field: 'model.name', message: `is required for the ${provider} provider` });
  if (needsBaseUrl(provider) && !baseUrl)
    errors.push({ field: 'model.base_url', message: `is required for the ${provider} provider` });
  const before = previous ? options(previous) : {};
  const fallbacks = input?.fallbacks
    ? input.fallbacks.map((f, i): StoredFallback | 'builtin' => {
        if (f === 'builtin') return f;
        if (needsBaseUrl(f.provider) && !f.base_url)
          errors.push({
            field: `model.fallbacks.${i}.base_url`,
            message: `is required for the ${f.provider} provider`,
          });
        return {
          provider: f.provider,
          name: f.name,
          base_url: f.base_url ?? null,
          api_key: f.api_key ? ctx.secrets.seal(f.api_key) : null,
        };
      })
    : before.fallbacks;
  if (errors.length) throw validationFailed(errors);
  const stored: StoredModelOptions = {
    tool_calling: input?.tool_calling ?? before.tool_calling,
    timeout_ms: input?.timeout_ms !== undefined ? input.timeout_ms : before.timeout_ms,
    fallbacks,
  };
  const empty = !stored.tool_calling && stored.timeout_ms == null && !stored.fallbacks?.length;
  return {
    model_provider: provider,
    model_name: name as string,
    model_base_url: baseUrl,
    model_api_key: apiKey,
    model_options: empty ? null : toJson(stored),
  } satisfies ModelState;
}
