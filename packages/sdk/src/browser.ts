/**
 * The browser entry of `@parley/sdk` (the `browser` export condition): the whole API but the
 * webhook helpers, which need `node:crypto` and belong on a server anyway. index.ts, the Node
 * entry, re-exports all of this and adds them.
 */
export {
  type ApiResponse,
  DEFAULT_BASE_URL,
  Parley,
  type ParleyEvent,
  type ParleyOptions,
  type RawOptions,
  SDK_VERSION,
  type StreamOptions,
} from './client.ts';
export { type ClientErrorCode, type FieldError, ParleyError } from './errors.ts';
export { type LiveEvents, type LiveOptions, type LiveState, liveDelay } from './live.ts';
export { parseSse, type SseMessage } from './sse.ts';
export type {
  ApiErrorCode,
  BodyOf,
  CommonOptions,
  components,
  EventOf,
  EventType,
  HttpMethod,
  ItemOf,
  ListPaths,
  Operation,
  PathsWith,
  paths,
  QueryOf,
  ResultOf,
  WebhookEvent,
} from './types.ts';
