import type { Logger } from 'pino';

/**
 * The AI SDK's warnings ("The feature responseFormat is not supported", a compatibility mode)
 * go to the app's logger as one structured line per kind of warning, model and provider, not as a
 * plain-text console line on every request. The SDK reads its hook from a global
 * (`AI_SDK_LOG_WARNINGS`); the last app set up in a process owns it.
 */
interface SdkWarnings {
  warnings: Array<{ type: string; feature?: string; details?: string; message?: string }>;
  provider?: string;
  model?: string;
}

export function routeAiSdkWarnings(logger: Logger): (o: SdkWarnings) => void {
  const seen = new Set<string>();
  const hook = (o: SdkWarnings) => {
    for (const w of o.warnings) {
      const key = JSON.stringify([o.provider, o.model, w.type, w.feature ?? w.message ?? '']);
      if (seen.has(key)) continue;
      if (seen.size >= 500) seen.clear();
      seen.add(key);
      logger.warn(
        {
          provider: o.provider,
          model: o.model,
          warning: w.type,
          ...(w.feature ? { feature: w.feature } : {}),
          ...(w.details || w.message ? { details: w.details ?? w.message } : {}),
        },
        'AI SDK warning (logged once per model and kind)',
      );
    }
  };
  (globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS = hook;
  return hook;
}
