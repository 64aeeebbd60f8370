// The SDK's browser entry, as the server serves it at vendor/sdk/browser.js.
export * from '../../../../../../packages/sdk/src/browser.ts';
