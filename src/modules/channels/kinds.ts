/**
 * The one table of channel kinds: everything that differs between channel types is said here,
 * once, and every branch on a channel's type reads it. Adding a channel type is one entry here,
 * one adapter folder (`src/modules/channels/<provider>/`) and its provider routes.
 */

import type { ProviderIdField } from '../contacts/index.ts';
import { telegramKind } from './telegram/telegram.kind.ts';

/**
 * What a channel's (and its customers') addresses are. `meta_user`: Meta's page- or
 * Instagram-scoped user id; `visitor`: the website widget's opaque visitor id (`vis_...`), which no
 * one can type or send to first.
 */
export type AddressKind = 'phone' | 'email' | 'meta_user' | 'visitor';

/** Provider-neutral outbound message types. */
export const outboundTypes = [
  'text',
  'template',
  'image',
  'document',
  'audio',
  'video',
  'interactive',
] as const;
export type OutboundType = (typeof outboundTypes)[number];

/**
 * The kinds of an `interactive` message (Meta's `interactive.type`): reply buttons and lists, and
 * WhatsApp's call-to-action URL, location request, Flow, product, product list, catalogue and
 * India payments (order details and order status) messages.
 */
export const interactiveKinds = [
  'button',
  'list',
  'cta_url',
  'location_request_message',
  'flow',
  'product',
  'product_list',
  'catalog_message',
  'order_details',
  'order_status',
] as const;
export type InteractiveKind = (typeof interactiveKinds)[number];

/** The providers Parley has adapters for (the sandbox stands in for each in test mode). */
export const providerNames = ['meta', 'twilio', 'smtp', 'livekit', 'widget', 'telegram', 'sandbox'] as const;
export type ProviderName = (typeof providerNames)[number];

/** WhatsApp's content limits; every messaging channel applies them, so a message never fails at the provider for its size. */
export const WHATSAPP_LIMITS = {
  text: 4096,
  caption: 1024,
  interactiveBody: 1024,
  interactiveHeader: 60,
  interactiveFooter: 60,
  buttons: 3,
  buttonTitle: 20,
  listButton: 20,
  listRows: 10,
  listSections: 10,
  rowTitle: 24,
  rowDescription: 72,
  sectionTitle: 24,
} as const;
export type ContentLimits = { readonly [K in keyof typeof WHATSAPP_LIMITS]: number };

export interface ChannelKind {
  /** Whether addresses are E.164 phone numbers or email addresses. */
  addressKind: AddressKind;
  /** True when the channel carries messages (POST /v1/messages); false for voice, which carries calls. */
  messaging: boolean;
  /**
   * The customer-service window rule: when set, a business message that is not a template may
   * only go out within this many hours of the customer's last message (WhatsApp's 24 hours).
   */
  customerWindowHours: number | null;
  /**
   * Meta's human agent window (Messenger, Instagram): after the customer-service window closes, a
   * person's reply (never the AI's, an API key's or an automation's) may still go out with the
   * `HUMAN_AGENT` tag for this many hours after the customer's last message; null: no such window.
   */
  humanAgentHours: number | null;
  /** The channel's name as people read it ("WhatsApp"), and its short badge on an inbox card ("WA"). */
  label: string;
  badge: string;
  /** What an address of this type is, for the error of an invalid one ("must be ..."), where not a phone or email. */
  addressHint?: string;
  /** The contact column that keeps the customer's provider-scoped id (PSID, IGSID, Telegram chat id), for `meta_user` addresses. */
  userIdField: ProviderIdField | null;
  /** A limit on a text's size in UTF-8 bytes (Instagram's 1,000), over `limits.text` in characters. */
  textLimitBytes: number | null;
  /** Outbound message types the channel carries (empty: not a messaging channel). */
  messageTypes: readonly OutboundType[];
  /** The interactive kinds it carries, when it carries `interactive` (WhatsApp all, the widget buttons and lists). */
  interactiveKinds: readonly InteractiveKind[];
  /** Size limits of outbound content. */
  limits: ContentLimits;
  /** Providers (adapters) a channel of this type may use; the sandbox serves every type. */
  providers: readonly ProviderName[];
  /** True when inbound STOP/START keywords opt a contact out or in (SMS carriers' rule). */
  optOutKeywords: boolean;
  /** The address of the test-mode sandbox channel made on demand. */
  sandboxAddress: string;
  /** Settings the on-demand sandbox channel starts with. */
  sandboxSettings: Record<string, unknown>;
  /**
   * True when the channel's own number may be one the phone library does not know as assigned
   * (possible, not valid): Meta hands WhatsApp developers +1 555 01xx test numbers. Otherwise a
   * channel's own number is valid by the full metadata, as every number a route takes.
   */
  unassignedOwnNumber?: true;
}

const notInteractive = outboundTypes.filter((t) => t !== 'interactive');
/** What Meta's Send API carries for Messenger and Instagram here: text and files (no templates). */
const metaDirectTypes = ['text', 'image', 'document', 'audio', 'video'] as const satisfies OutboundType[];
/** Messenger's and Instagram's text limit is smaller than WhatsApp's (Messenger 2,000 characters). */
const META_DIRECT_LIMITS = { ...WHATSAPP_LIMITS, text: 2000 } as const satisfies ContentLimits;
const noMetaWindow = { humanAgentHours: null, userIdField: null, textLimitBytes: null } as const;
const noInteractive = { interactiveKinds: [] } as const;

export const channelKinds = {
  whatsapp: {
    label: 'WhatsApp',
    badge: 'WA',
    ...noMetaWindow,
    addressKind: 'phone',
    messaging: true,
    customerWindowHours: 24,
    messageTypes: outboundTypes,
    interactiveKinds,
    limits: WHATSAPP_LIMITS,
    providers: ['meta', 'sandbox'],
    optOutKeywords: false,
    sandboxAddress: '+15550100001',
    // Test mode rehearses live: the sandbox enforces the 24-hour window as Meta does.
    sandboxSettings: {},
    unassignedOwnNumber: true,
  },
  sms: {
    label: 'SMS',
    badge: 'SMS',
    ...noMetaWindow,
    addressKind: 'phone',
    messaging: true,
    customerWindowHours: null,
    messageTypes: notInteractive,
    ...noInteractive,
    limits: WHATSAPP_LIMITS,
    providers: ['twilio', 'sandbox'],
    optOutKeywords: true,
    sandboxAddress: '+15550100002',
    sandboxSettings: {},
  },
  email: {
    label: 'Email',
    badge: '@',
    ...noMetaWindow,
    addressKind: 'email',
    messaging: true,
    customerWindowHours: null,
    messageTypes: notInteractive,
    ...noInteractive,
    limits: WHATSAPP_LIMITS,
    providers: ['smtp', 'sandbox'],
    optOutKeywords: false,
    sandboxAddress: 'sandbox@parley.test',
    sandboxSettings: {},
  },
  voice: {
    label: 'Voice',
    badge: '☎',
    ...noMetaWindow,
    addressKind: 'phone',
    messaging: false,
    customerWindowHours: null,
    messageTypes: [],
    ...noInteractive,
    limits: WHATSAPP_LIMITS,
    providers: ['twilio', 'livekit', 'sandbox'],
    optOutKeywords: false,
    sandboxAddress: '+15550100003',
    sandboxSettings: {},
  },
  // Messenger and Instagram Direct (Meta's Send API): customers are known by Meta's scoped ids.
  messenger: {
    label: 'Messenger',
    badge: 'FB',
    addressKind: 'meta_user',
    messaging: true,
    customerWindowHours: 24,
    humanAgentHours: 24 * 7,
    userIdField: 'messenger_psid',
    addressHint: "the customer's page-scoped id (PSID, digits)",
    textLimitBytes: null,
    messageTypes: metaDirectTypes,
    ...noInteractive,
    limits: META_DIRECT_LIMITS,
    providers: ['meta', 'sandbox'],
    optOutKeywords: false,
    sandboxAddress: '100000000000001',
    sandboxSettings: {},
  },
  instagram: {
    label: 'Instagram',
    badge: 'IG',
    addressKind: 'meta_user',
    messaging: true,
    customerWindowHours: 24,
    humanAgentHours: 24 * 7,
    userIdField: 'instagram_igsid',
    addressHint: "the customer's Instagram-scoped id (IGSID, digits)",
    textLimitBytes: 1000,
    messageTypes: metaDirectTypes,
    ...noInteractive,
    limits: META_DIRECT_LIMITS,
    providers: ['meta', 'sandbox'],
    optOutKeywords: false,
    sandboxAddress: '100000000000002',
    sandboxSettings: {},
  },
  telegram: telegramKind,
  // The website chat widget (src/modules/widget): Parley itself carries it, no 24-hour window.
  web: {
    label: 'Web',
    badge: 'Web',
    addressKind: 'visitor',
    messaging: true,
    customerWindowHours: null,
    ...noMetaWindow,
    messageTypes: ['text', 'image', 'document', 'interactive'],
    interactiveKinds: ['button', 'list'],
    limits: WHATSAPP_LIMITS,
    // Parley serves the widget itself, in test mode as live (no sandbox stands in for it).
    providers: ['widget'],
    optOutKeywords: false,
    sandboxAddress: 'sandbox.parley.test',
    sandboxSettings: { allowed_domains: ['localhost'] },
  },
} as const satisfies Record<string, ChannelKind>;

export type ChannelType = keyof typeof channelKinds;

/** Every channel type, in the table's order (for zod enums and the OpenAPI document). */
export const channelTypes = Object.keys(channelKinds) as [ChannelType, ...ChannelType[]];

/** The channel types that carry messages. */
export type MessagingChannelType = {
  [T in ChannelType]: (typeof channelKinds)[T]['messaging'] extends true ? T : never;
}[ChannelType];
export const messagingChannelTypes = channelTypes.filter((t) => channelKinds[t].messaging) as [
  MessagingChannelType,
  ...MessagingChannelType[],
];

/** The kind of a stored type (a conversation's `channel` may name a type this table does not list). */
export function kindOf(type: string): ChannelKind | undefined {
  return Object.hasOwn(channelKinds, type) ? channelKinds[type as ChannelType] : undefined;
}

export function isMessagingChannel(type: ChannelType): type is MessagingChannelType {
  return channelKinds[type].messaging;
}

/** The contact field a channel's customer address is stored in (none for website visitors). */
export function contactFieldFor(type: ChannelType): 'phone' | 'email' | ProviderIdField | null {
  const kind: ChannelKind = channelKinds[type];
  if (kind.addressKind === 'visitor') return null;
  return kind.userIdField ?? (kind.addressKind === 'email' ? 'email' : 'phone');
}

/** A contact lookup by the address a channel uses: `{email}` or `{phone}` (Meta user ids: see userIdField). */
export function contactKeyFor(type: ChannelType, address: string): { email: string } | { phone: string } {
  // A web visitor's contact is the widget's (found by its visitor id there), never one by address.
  return channelKinds[type].addressKind === 'email' ? { email: address } : { phone: address };
}

/** A Meta page-scoped (PSID) or Instagram-scoped (IGSID) user id: digits only. */
export const isMetaUserId = (value: string) => /^\d{5,40}$/.test(value);
