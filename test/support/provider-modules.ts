import { channelsModule } from '../../src/modules/channels/channels.module.ts';
import { providersModule } from '../../src/modules/channels/providers.module.ts';
import { conversationsMigrations } from '../../src/modules/conversations/conversations.migrations.ts';
import { modules } from '../../src/modules/index.ts';
import { messagingModule } from '../../src/modules/messaging/messaging.module.ts';
import type { Module } from '../../src/modules/module.ts';

/**
 * The module list the provider tests run with: the app's own list, plus the channels,
 * conversations and messaging pieces while they are not yet listed there, providers last.
 */
export function providerTestModules(): Module[] {
  const names = new Set(modules.map((m) => m.name));
  const list = modules.filter((m) => m !== providersModule);
  const hasConversationTables = modules.some((m) =>
    Object.keys(m.migrations ?? {}).includes('0210_conversations'),
  );
  if (!names.has('channels')) list.push(channelsModule);
  if (!hasConversationTables)
    list.push({ name: 'conversations-tables', migrations: conversationsMigrations });
  if (!names.has('messaging')) list.push(messagingModule);
  list.push(providersModule);
  return list;
}
