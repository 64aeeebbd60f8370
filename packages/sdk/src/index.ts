/**
 * The Node entry of `@parley/sdk`: everything in the browser entry (browser.ts) and the webhook
 * helpers, which need `node:crypto`.
 */
export * from './browser.ts';
export {
  generateWebhookSecret,
  signWebhook,
  verifyWebhook,
  WEBHOOK_TOLERANCE_SECONDS,
  type WebhookHeaders,
  WebhookVerificationError,
  webhookSecretKey,
} from './webhooks.ts';
