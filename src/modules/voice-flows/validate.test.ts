import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateFlow } from './validate.ts';
import type { FlowNode } from './voice-flows.schemas.ts';

const flow = (start: string, nodes: Record<string, FlowNode>) => validateFlow({ start, nodes });
const fields = (errors: Array<{ field: string }>) => errors.map((e) => e.field).sort();

describe('voice flow graph rules', () => {
  it('accepts a flow whose every node is reached and can end', () => {
    assert.deepEqual(
      flow('a', {
        a: { type: 'say', text: 'Hi', next: 'q' },
        q: { type: 'ask', prompt: 'Yes?', capture: { var: 'x', kind: 'yes_no' }, next: 'a' },
      }),
      [],
      'an ask without on_no_input ends the call on silence, so this loop can end',
    );
  });

  it('treats a target or start named like an Object.prototype member as dangling, not as a node', () => {
    const errors = flow('constructor', {
      a: { type: 'say', text: 'Hi', next: 'toString' },
      b: { type: 'end', outcome: 'done' },
    });
    assert.deepEqual(fields(errors), ['nodes.a.next', 'start']);
  });

  it('names dangling targets by their JSON path, the start included', () => {
    const errors = flow('nope', {
      a: {
        type: 'branch',
        cases: [
          { when: { var: 'x', eq: 1 }, next: 'b' },
          { when: { var: 'x', eq: 2 }, next: 'gone' },
        ],
        else: 'b',
      },
      b: {
        type: 'agent',
        agent_id: 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
        on_event: { 'booking.created': 'lost' },
        next: 'c',
      },
      c: { type: 'end', outcome: 'done' },
    });
    assert.deepEqual(fields(errors), ['nodes.a.cases[1].next', 'nodes.b.on_event.booking.created', 'start']);
  });

  it('finds unreachable nodes, loops that never end and actions missing what they need', () => {
    const errors = flow('a', {
      a: { type: 'say', text: 'Hi', next: 'b' },
      b: { type: 'ask', prompt: 'Yes?', capture: { var: 'x', kind: 'yes_no' }, on_no_input: 'a', next: 'a' },
      island: { type: 'end', outcome: 'never' },
      hook: { type: 'action', action: 'webhook', next: 'island' },
    });
    assert.deepEqual(fields(errors), ['nodes.a', 'nodes.b', 'nodes.hook', 'nodes.hook.url', 'nodes.island']);
  });
});
