/** The webhooks module's public surface: what other modules may use. */
export { sendWebhook } from './webhooks.http.ts';
export { checkWebhookUrl, webhookUrlProblem } from './webhooks.service.ts';
export { generateSecret, signatureHeaders } from './webhooks.signing.ts';
