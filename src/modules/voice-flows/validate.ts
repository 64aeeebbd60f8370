import type { FieldError } from '../../platform/errors.ts';
import type { FlowNode } from './voice-flows.schemas.ts';

/** A node's outgoing edges: the JSON path of each target field and the node it names. */
export function edgesOf(id: string, node: FlowNode): Array<{ field: string; to: string }> {
  const at = (key: string) => `nodes.${id}.${key}`;
  const out: Array<{ field: string; to: string }> = [];
  const add = (field: string, to: string | undefined) => {
    if (to !== undefined) out.push({ field, to });
  };
  switch (node.type) {
    case 'say':
    case 'set':
      add(at('next'), node.next);
      break;
    case 'ask':
      add(at('next'), node.next);
      add(at('on_no_input'), node.on_no_input);
      add(at('on_no_match'), node.on_no_match);
      break;
    case 'branch':
      for (const [i, c] of node.cases.entries()) add(at(`cases[${i}].next`), c.next);
      add(at('else'), node.else);
      break;
    case 'action':
      add(at('next'), node.next);
      add(at('on_fail'), node.on_fail);
      break;
    case 'agent':
      add(at('next'), node.next);
      for (const [event, to] of Object.entries(node.on_event ?? {})) add(at(`on_event.${event}`), to);
      break;
    case 'transfer':
      add(at('on_fail'), node.on_fail);
      break;
    case 'end':
      break;
  }
  return out;
}

/** Can the run stop at this node without going further (an end, a transfer, an ask whose silence ends the call)? */
const stopsHere = (node: FlowNode) =>
  node.type === 'end' || node.type === 'transfer' || (node.type === 'ask' && node.on_no_input === undefined);

/** The nodes reached from `from` (themselves included) following `links`, breadth first. */
function closure(from: string[], links: Map<string, string[]>): Set<string> {
  const reached = new Set(from);
  const queue = [...reached];
  while (queue.length) {
    for (const to of links.get(queue.shift()!) ?? []) {
      if (reached.has(to)) continue;
      reached.add(to);
      queue.push(to);
    }
  }
  return reached;
}

/**
 * The graph rules the schema cannot say, each problem a field error naming its JSON path:
 * the start and every target exist, every node is reachable from the start, every node has a
 * way to an end (an end or transfer node, or an ask whose silence ends the call), and action
 * nodes have what their action needs.
 */
export function validateFlow(flow: { start: string; nodes: Record<string, FlowNode> }): FieldError[] {
  const errors: FieldError[] = [];
  const { nodes } = flow;
  const ids = Object.keys(nodes);
  if (!Object.hasOwn(nodes, flow.start))
    errors.push({
      field: 'start',
      message: `is ${JSON.stringify(flow.start)}, which is not a node of this flow`,
    });

  const edges = new Map<string, string[]>();
  for (const id of ids) {
    const node = nodes[id]!;
    const targets: string[] = [];
    for (const e of edgesOf(id, node)) {
      if (!Object.hasOwn(nodes, e.to))
        errors.push({
          field: e.field,
          message: `names ${JSON.stringify(e.to)}, which is not a node of this flow`,
        });
      else targets.push(e.to);
    }
    edges.set(id, targets);
    errors.push(...actionProblems(id, node));
  }

  if (Object.hasOwn(nodes, flow.start)) {
    const reached = closure([flow.start], edges);
    for (const id of ids)
      if (!reached.has(id))
        errors.push({
          field: `nodes.${id}`,
          message: `is never reached from the start node ${JSON.stringify(flow.start)}`,
        });
  }

  // Nodes that can end: walk the edges backwards from every node that can stop the run.
  const incoming = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [from, targets] of edges) for (const to of targets) incoming.get(to)!.push(from);
  const canEnd = closure(
    ids.filter((id) => stopsHere(nodes[id]!)),
    incoming,
  );
  const dangling = new Set(
    errors.filter((e) => e.field.startsWith('nodes.')).map((e) => e.field.split('.')[1]),
  );
  for (const id of ids)
    if (!canEnd.has(id) && !dangling.has(id))
      errors.push({
        field: `nodes.${id}`,
        message: 'never ends: every path from here loops without reaching an end or transfer node',
      });
  return errors;
}

function actionProblems(id: string, node: FlowNode): FieldError[] {
  if (node.type !== 'action') return [];
  const need = (key: string, what: string): FieldError => ({
    field: `nodes.${id}.${key}`,
    message: `is required for a ${node.action} action (${what})`,
  });
  switch (node.action) {
    case 'capture_lead':
      return [];
    case 'book':
      return node.start_at ? [] : [need('start_at', 'when to book, e.g. "{{slot}}"')];
    case 'tag':
      return node.tags ? [] : [need('tags', 'the tags to add')];
    case 'webhook':
      return node.url ? [] : [need('url', 'where to POST')];
    case 'send_message':
      return node.text || node.template ? [] : [need('text', 'give text or template')];
  }
}
