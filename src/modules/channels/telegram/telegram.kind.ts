import type { ChannelKind, ContentLimits } from '../kinds.ts';

/**
 * Telegram's limits (Bot API `sendMessage`: text 1-4096 characters; captions 0-1024), with the
 * inline keyboard kept to the sizes the other channels share, so one reply fits every channel.
 */
const TELEGRAM_LIMITS = {
  text: 4096,
  caption: 1024,
  interactiveBody: 4096,
  interactiveHeader: 60,
  interactiveFooter: 60,
  buttons: 10,
  buttonTitle: 64,
  listButton: 20,
  listRows: 10,
  listSections: 10,
  rowTitle: 24,
  rowDescription: 72,
  sectionTitle: 24,
} as const satisfies ContentLimits;

/**
 * A Telegram bot: customers are known by the id of their private chat with the bot (digits, kept
 * on the contact as `telegram_chat_id`), the channel's own address is the bot's id (the digits
 * before the `:` of its token). No service window: a bot may write to anyone who wrote to it.
 */
export const telegramKind = {
  label: 'Telegram',
  badge: 'TG',
  addressKind: 'meta_user',
  messaging: true,
  customerWindowHours: null,
  humanAgentHours: null,
  userIdField: 'telegram_chat_id',
  addressHint:
    "a Telegram id (digits): the customer's chat id, or a channel's bot id (the digits before its token's colon)",
  textLimitBytes: null,
  messageTypes: ['text', 'image', 'document', 'audio', 'video', 'interactive'],
  interactiveKinds: ['button'],
  limits: TELEGRAM_LIMITS,
  providers: ['telegram', 'sandbox'],
  optOutKeywords: false,
  sandboxAddress: '100000000000003',
  sandboxSettings: {},
} as const satisfies ChannelKind;
