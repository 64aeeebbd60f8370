import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventType, ParleyEvent, Tx } from '../../platform/events.ts';
import { Reactions } from '../../platform/reactions.ts';
import { type ContactMergeEvent, contactMergeReaction } from './contacts.merge.ts';

/** How another module follows a contact merge: a reaction to `contact.merged`, no hook of the contacts module. */
const event = (type: EventType, data: Record<string, unknown>): ParleyEvent => ({
  id: `evt_${type}`,
  event: type,
  timestamp: '2026-11-25T12:00:00.000Z',
  api_version: 'v1',
  workspace_id: 'ws_1',
  livemode: true,
  actor: { type: 'user', id: 'usr_1' },
  data,
});

describe('contactMergeReaction', () => {
  it('hands each merge its workspace, mode, merged and kept contact, and hears nothing else', async () => {
    const moves: ContactMergeEvent[] = [];
    const tx = {} as Tx;
    const r = new Reactions();
    r.add(
      contactMergeReaction('leads.contact_merge', async (got, merge) => {
        assert.equal(got, tx);
        moves.push(merge);
      }),
    );
    assert.deepEqual(r.list(), [{ name: 'leads.contact_merge', step: 'follow', hears: ['contact.merged'] }]);
    await r.react(
      tx,
      [
        event('contact.updated', { id: 'ct_a', object: 'contact' }),
        event('contact.merged', { id: 'ct_kept', object: 'contact', merged_contact_id: 'ct_gone' }),
      ],
      Promise.resolve(),
    );
    assert.deepEqual(moves, [{ workspaceId: 'ws_1', livemode: true, fromId: 'ct_gone', intoId: 'ct_kept' }]);
  });
});
