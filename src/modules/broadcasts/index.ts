/** The broadcasts module's public surface: what other modules may use. */

export { broadcastMessages, broadcastNames } from './broadcasts.views.ts';
export { bulkSender, bulkTemplateBody, sendTemplate, type TemplateSendResult } from './template-send.ts';
export { checkBroadcastVariables, recipientVariables } from './variables.ts';
