import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tool } from '../tools/index.ts';
import { readback, toolsPrompt } from './workspace-tools.ts';

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
