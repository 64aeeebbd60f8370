import { createAnthropic } from '@ai-sdk/anthropic';
import { createAzure } from '@ai-sdk/azure';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { type ModelRef, modelPreset } from '../agents/index.ts';

/**
 * The AI SDK client of one model: OpenAI and every OpenAI-compatible server (presets fill the
 * base URL), Anthropic, Google Gemini and Azure OpenAI. Thrown errors are configuration mistakes.
 */
export function languageModel(model: ModelRef): LanguageModel {
  const { protocol, baseUrl: presetUrl } = modelPreset(model.provider);
  const apiKey = model.apiKey ?? undefined;
  const baseURL = model.baseUrl ?? presetUrl ?? undefined;
  switch (protocol) {
    case 'openai':
      // The Chat Completions API: what OpenAI and every compatible server speak.
      return createOpenAI({ apiKey, baseURL }).chat(model.name);
    case 'anthropic':
      return createAnthropic({ apiKey, baseURL })(model.name);
    case 'google':
      return createGoogleGenerativeAI({ apiKey, baseURL })(model.name);
    case 'azure':
      if (!baseURL) throw new Error('model.base_url is required for an azure model');
      // The deployment name is the model name; Azure's v1 API under the resource's /openai path.
      return createAzure({ apiKey, baseURL }).chat(model.name);
    case 'openai_compatible':
      if (!baseURL) throw new Error(`model.base_url is required for an ${model.provider} model`);
      return createOpenAICompatible({
        name: model.provider,
        baseURL,
        apiKey,
        // A streamed answer's tokens come only when asked for (what a reply cost, docs/models.md).
        includeUsage: true,
      }).chatModel(model.name);
    default:
      throw new Error(`${model.provider} is not an LLM provider`);
  }
}
