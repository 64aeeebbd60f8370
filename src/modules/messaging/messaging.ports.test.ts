/**
 * Messaging's rule of which `message.received` events are a customer's message to answer: the AI's
 * reply and the CSAT answer hear only those (they were a hook on the inbound path before).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParleyEvent } from '../../platform/events.ts';
import { customerMessageOf } from './messaging.ports.ts';

function received(
  data: Record<string, unknown>,
  event: ParleyEvent['event'] = 'message.received',
): ParleyEvent {
  return {
    id: 'evt_1',
    event,
    timestamp: '2026-11-25T10:00:00.000Z',
    api_version: 'v1',
    workspace_id: 'ws_1',
    livemode: false,
    actor: { type: 'customer', id: 'con_1' },
    data: {
      object: 'message',
      id: 'msg_1',
      conversation_id: 'cnv_1',
      direction: 'inbound',
      sender: { type: 'customer', id: 'con_1' },
      type: 'text',
      text: 'Can I book for Tuesday?',
      interactive: null,
      ...data,
    },
  };
}

describe('customerMessageOf', () => {
  it("reads a customer's text as what the AI and the CSAT answer hear", () => {
    assert.deepEqual(customerMessageOf(received({})), {
      workspaceId: 'ws_1',
      livemode: false,
      messageId: 'msg_1',
      conversationId: 'cnv_1',
      contactId: 'con_1',
      text: 'Can I book for Tuesday?',
    });
  });

  it('takes media without text and a reply to a button', () => {
    assert.equal(customerMessageOf(received({ type: 'image', text: null }))?.text, null);
    assert.equal(
      customerMessageOf(received({ type: 'interactive', interactive: { button_reply: { id: 'yes' } } }))
        ?.messageId,
      'msg_1',
    );
  });

  it("leaves out what is nothing to answer: a notice, an edit or deletion of a message Parley never saw, a call's line", () => {
    // WhatsApp's user_changed_number is stored as a system message from nobody.
    assert.equal(
      customerMessageOf(received({ type: 'system', sender: { type: 'system', id: null } })),
      undefined,
    );
    assert.equal(customerMessageOf(received({ type: 'revoke', text: null })), undefined);
    assert.equal(customerMessageOf(received({ interactive: { edit_of: 'wamid.unknown' } })), undefined);
    assert.equal(customerMessageOf(received({ call_id: 'call_1', start_ms: 0, end_ms: 900 })), undefined);
  });

  it('hears only message.received', () => {
    assert.equal(customerMessageOf(received({}, 'message.sent')), undefined);
    assert.equal(customerMessageOf(received({}, 'message.edited')), undefined);
  });
});
