import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tool } from '../tools/index.ts';
import { argsFrom, readback, toolFor, toolsPrompt } from './workspace-tools.ts';

/** What the engines say about a write tool whose arguments are objects (an imported MCP tool's). */
describe('workspace tools in the reply', () => {
  const tool = {
    id: 'tool_1',
    name: 'shop__update_address',
    description: "Changes a customer's address.",
    effect: 'write',
    confirmation: null,
    input_schema: {
      type: 'object',
      properties: {
        address: { anyOf: [{ type: 'object', properties: { line1: { type: 'string' } } }, { type: 'null' }] },
        tags: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  } as unknown as Tool;
  const b = { contact: {}, agent: { id: 'agent_1', name: 'Ava' } };

  it('reads back object and null arguments as they are, not as [object Object]', () => {
    const text = readback(tool, { address: { line1: '1 Main St' }, tags: { gift: 'yes' }, note: null }, b);
    assert.equal(
      text,
      'To confirm: Changes a customer\'s address with address {"line1":"1 Main St"}, tags {"gift":"yes"}, note null. Shall I go ahead?',
    );
  });

  it('lists a tool with a union or record schema to the model as its JSON Schema', () => {
    assert.match(toolsPrompt([tool]), /"anyOf":\[\{"type":"object"/);
  });
});

/** Issue 64: which tool the built-in agent runs, and its argument found in the customer's words. */
describe('the tool a message asks for, and its argument', () => {
  const tool = (name: string, keywords: string[], examples: string[], schema: object) =>
    ({
      id: `tool_${name}`,
      name,
      description: name,
      effect: 'read',
      trigger: { keywords, examples },
      input_schema: { type: 'object', properties: schema, required: Object.keys(schema) },
    }) as unknown as Tool;
  const orderStatus = tool('order_status', [], ['where is my order', 'track my order'], {
    order_id: { type: 'string', pattern: '^[0-9]{4,8}$' },
  });
  const paymentLink = tool('payment_link', ['payment link'], ['send me a link to pay'], {
    order_id: { type: 'string', description: 'The order number' },
  });

  it('finds an argument by an anchored pattern without its anchors, as a whole word', () => {
    assert.deepEqual(argsFrom(orderStatus, 'where is my order 5531?'), { order_id: '5531' });
    assert.deepEqual(argsFrom(orderStatus, 'where is my order 12?'), {});
    assert.deepEqual(argsFrom(orderStatus, 'order 123456789'), {});
  });

  it('finds an argument without a pattern by its description: the word holding a digit after "order"', () => {
    assert.deepEqual(argsFrom(paymentLink, 'I got 2 items, send a payment link for order no. 7702'), {
      order_id: '7702',
    });
  });

  it('a keyword match beats a shared word: the payment-link tool, not order status', () => {
    const said = 'please send me a payment link for order 7702';
    assert.equal(toolFor([orderStatus, paymentLink], said)?.name, 'payment_link');
    assert.equal(toolFor([paymentLink, orderStatus], said)?.name, 'payment_link');
    assert.equal(toolFor([orderStatus, paymentLink], 'where is my order 5531?')?.name, 'order_status');
    assert.equal(toolFor([orderStatus, paymentLink], 'what are your hours?'), null);
  });
});
