import {
  lookupIn,
  placeholdersOf,
  placeholderValue,
  renderPlaceholders,
} from '../../platform/placeholders.ts';
import { fillVariables } from '../ai/index.ts';
import { type CaptureContext, type Captured, grammarFor, readCapture } from './capture.ts';
import type { FlowNode } from './voice-flows.schemas.ts';

/**
 * Runs a voice flow as text: words (or keys) in, sentences out. It knows nothing of audio, so
 * the same run serves `POST /v1/voice-flows/{id}/test` and a live call (the call engine feeds it
 * transcripts and DTMF and speaks what it says). Side effects go through `FlowEffects`, which
 * the host supplies: real services on a call, descriptions only in a test run.
 */

export type FlowValue = string | number | boolean;
export type Variables = Record<string, FlowValue>;

export interface FlowDefinition {
  start: string;
  nodes: Record<string, FlowNode>;
  variables: Variables;
  timezone: string;
}

export type FlowInput = { text: string } | { dtmf: string } | { noInput: true };

type NodeOf<T extends FlowNode['type']> = Extract<FlowNode, { type: T }>;
export type ActionNode = NodeOf<'action'>;
export type AgentNode = NodeOf<'agent'>;

export interface AgentTurnResult {
  reply: string;
  /** Events the agent's turn caused (`lead.captured`, `booking.created`, `conversation.escalated`). */
  events: string[];
}

export interface FlowEffects {
  /** Carries out an action node; `ok: false` follows `on_fail` when there is one. */
  action(nodeId: string, node: ActionNode, vars: Variables): Promise<{ ok: boolean }>;
  /** One turn of an agent node: the agent's answer to what the caller said. */
  agentTurn(
    nodeId: string,
    node: AgentNode,
    said: string,
    history: Array<{ role: 'customer' | 'agent'; text: string }>,
    vars: Variables,
  ): Promise<AgentTurnResult>;
  /** A value was captured (the host may store it in the contact or a lead). */
  captured?(nodeId: string, varName: string, value: Captured, mapTo: string | undefined): Promise<void>;
}

export interface Utterance {
  text: string;
  node: string;
  interruptible: boolean;
}

/** What a step of the run produced: words to speak, then either listening or the end. */
export interface FlowStep {
  say: Utterance[];
  listen: { node: string; hints: string[]; timeoutSeconds: number; dtmf: boolean } | null;
  end: FlowEnd | null;
}

export interface FlowEnd {
  reason: 'flow_ended' | 'transferred' | 'max_steps';
  outcome: string | null;
  transferTo?: string;
}

export interface TranscriptEntry {
  role: 'agent' | 'customer';
  text: string;
  node: string;
}

/** Nodes visited without a caller turn before the run is stopped (a loop of says and branches). */
export const MAX_STEPS_WITHOUT_INPUT = 50;
/** Nodes visited in all before the run is stopped. */
export const MAX_STEPS = 1000;
const DEFAULT_TIMEOUT_SECONDS = 6;
const DEFAULT_RETRIES = 1;
const DEFAULT_AGENT_TURNS = 6;
const NO_MATCH = "Sorry, I didn't catch that.";

export function fillValue(template: string, vars: Variables): string {
  return renderPlaceholders(template, lookupIn(vars), { prose: false });
}

export function fillText(template: string, vars: Variables): string {
  const strings: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) strings[k] = String(v);
  return fillVariables(template, strings);
}

function same(a: FlowValue | undefined, b: FlowValue): boolean {
  if (a === undefined) return false;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = Number(a);
    const y = Number(b);
    if (Number.isFinite(x) && Number.isFinite(y)) return x === y;
  }
  return String(a).trim().toLowerCase() === String(b).trim().toLowerCase();
}

export function conditionHolds(
  when: { var: string; eq?: FlowValue; in?: FlowValue[]; gt?: number; lt?: number; exists?: boolean },
  vars: Variables,
): boolean {
  const v = vars[when.var];
  if (when.exists !== undefined) return (v !== undefined && v !== '') === when.exists;
  if (when.eq !== undefined) return same(v, when.eq);
  if (when.in !== undefined) return when.in.some((x) => same(v, x));
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n)) return false;
  if (when.gt !== undefined) return n > when.gt;
  if (when.lt !== undefined) return n < when.lt;
  return false;
}

/** A caller's turn as the transcript shows it. */
function transcriptText(input: FlowInput): string {
  if ('text' in input) return input.text;
  if ('dtmf' in input) return `[dtmf ${input.dtmf}]`;
  return '[no input]';
}

/**
 * Keys pressed at an ask node: a mapped key (the whole entry, or its first key), else for a
 * digits capture the digits before `#` when their count is within the node's bounds.
 */
function keysCapture(node: NodeOf<'ask'>, keys: string): Captured | null {
  const mapped = node.dtmf?.[keys] ?? node.dtmf?.[keys[0]!] ?? null;
  if (mapped !== null || node.capture.kind !== 'digits') return mapped;
  const digits = keys.replace(/#.*$/, '').replace(/\D/g, '');
  const { min_length: min, max_length: max } = node.capture;
  if (!digits) return null;
  if (min !== undefined && digits.length < min) return null;
  if (max !== undefined && digits.length > max) return null;
  return digits;
}

export class FlowRun {
  readonly path: string[] = [];
  readonly transcript: TranscriptEntry[] = [];
  /** `{{placeholders}}` spoken with no value (said as nothing): `/test` lists them. */
  readonly unresolved = new Set<string>();
  readonly variables: Variables;
  end: FlowEnd | null = null;
  #flow: FlowDefinition;
  #effects: FlowEffects;
  #capture: CaptureContext;
  /** The node waiting for the caller (an ask or an agent node). */
  #waiting: string | null = null;
  #retriesUsed = 0;
  #agentTurns = 0;
  #agentHistory: Array<{ role: 'customer' | 'agent'; text: string }> = [];
  #stepsSinceInput = 0;
  #transfer: { node: string } | null = null;

  constructor(
    flow: FlowDefinition,
    opts: { variables?: Variables; effects: FlowEffects; now: () => Date; defaultCountry: string },
  ) {
    this.#flow = flow;
    this.#effects = opts.effects;
    this.variables = { ...flow.variables, ...(opts.variables ?? {}) };
    const now = opts.now;
    this.#capture = {
      get now() {
        return now();
      },
      timezone: flow.timezone,
      defaultCountry: opts.defaultCountry,
    };
  }

  get waitingOn(): string | null {
    return this.#waiting;
  }

  /** Runs from the start node until the flow needs the caller or ends. */
  start(): Promise<FlowStep> {
    return this.#run(this.#flow.start);
  }

  /** Feeds one caller turn to the node that is waiting for it. */
  async input(input: FlowInput): Promise<FlowStep> {
    const nodeId = this.#waiting;
    if (!nodeId || this.end) return { say: [], listen: null, end: this.end };
    this.#stepsSinceInput = 0;
    const node = this.#flow.nodes[nodeId]!;
    this.transcript.push({ role: 'customer', node: nodeId, text: transcriptText(input) });
    if (node.type === 'agent') return this.#agentInput(nodeId, node, input);
    if (node.type !== 'ask') throw new Error(`node ${nodeId} does not take input`);

    let value: Captured | null = null;
    if ('dtmf' in input) value = keysCapture(node, input.dtmf);
    else if ('text' in input) value = readCapture(node.capture, input.text, this.#capture);
    const say: Utterance[] = [];
    if (value !== null) {
      this.#waiting = null;
      this.#retriesUsed = 0;
      this.variables[node.capture.var] = value;
      await this.#effects.captured?.(nodeId, node.capture.var, value, node.capture.map_to);
      return this.#run(node.next, say);
    }
    const noInput = 'noInput' in input;
    if (this.#retriesUsed < (node.retries ?? DEFAULT_RETRIES)) {
      this.#retriesUsed++;
      if (!noInput) say.push(this.#speak(nodeId, node.no_match_prompt ?? NO_MATCH, true));
      say.push(this.#speak(nodeId, node.prompt, true));
      return { say, listen: this.#listen(nodeId, node), end: null };
    }
    this.#waiting = null;
    this.#retriesUsed = 0;
    const onward = noInput ? node.on_no_input : (node.on_no_match ?? node.on_no_input);
    if (onward) return this.#run(onward, say);
    this.end = { reason: 'flow_ended', outcome: 'no_response' };
    return { say, listen: null, end: this.end };
  }

  /** The transport could not transfer: continue at the transfer node's `on_fail`, or end. */
  async transferFailed(): Promise<FlowStep> {
    const t = this.#transfer;
    if (!t) return { say: [], listen: null, end: this.end };
    this.#transfer = null;
    const node = this.#flow.nodes[t.node] as NodeOf<'transfer'>;
    if (node.on_fail) {
      this.end = null;
      return this.#run(node.on_fail);
    }
    this.end = { reason: 'flow_ended', outcome: 'transfer_failed' };
    return { say: [], listen: null, end: this.end };
  }

  #speak(node: string, template: string, interruptible: boolean): Utterance {
    for (const { key, fallback } of placeholdersOf(template))
      if (!placeholderValue(lookupIn(this.variables), key, fallback))
        this.unresolved.add(key.replace(/^(contact|vars|variables)\./, ''));
    const text = fillText(template, this.variables);
    this.transcript.push({ role: 'agent', text, node });
    return { text, node, interruptible };
  }

  #listen(nodeId: string, node: NodeOf<'ask'>): FlowStep['listen'] {
    this.#waiting = nodeId;
    return {
      node: nodeId,
      hints: grammarFor(node.capture),
      timeoutSeconds: node.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS,
      dtmf: node.dtmf !== undefined || node.capture.kind === 'digits',
    };
  }

  async #agentInput(nodeId: string, node: AgentNode, input: FlowInput): Promise<FlowStep> {
    this.#waiting = null;
    if (!('text' in input)) {
      // Silence (or keys) hands the floor back to the flow.
      this.#agentTurns = 0;
      this.#agentHistory = [];
      return this.#run(node.next);
    }
    const result = await this.#effects.agentTurn(nodeId, node, input.text, this.#agentHistory, {
      ...this.variables,
      ...(node.goal ? { goal: node.goal } : {}),
    });
    this.#agentHistory.push({ role: 'customer', text: input.text }, { role: 'agent', text: result.reply });
    this.#agentTurns++;
    const say = result.reply ? [this.#speak(nodeId, result.reply.replace(/\{\{/g, '{ {'), true)] : [];
    const onEvent = node.on_event ?? {};
    const hit = result.events.find((e) => e in onEvent) as keyof typeof onEvent | undefined;
    if (hit || this.#agentTurns >= (node.max_turns ?? DEFAULT_AGENT_TURNS)) {
      this.#agentTurns = 0;
      this.#agentHistory = [];
      return this.#run(hit ? onEvent[hit]! : node.next, say);
    }
    this.#waiting = nodeId;
    return {
      say,
      listen: { node: nodeId, hints: [], timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, dtmf: false },
      end: null,
    };
  }

  async #run(from: string, say: Utterance[] = []): Promise<FlowStep> {
    let id: string | undefined = from;
    while (id !== undefined) {
      if (this.#outOfSteps()) {
        this.end = { reason: 'max_steps', outcome: null };
        return { say, listen: null, end: this.end };
      }
      const node: FlowNode | undefined = this.#flow.nodes[id];
      if (!node) throw new Error(`voice flow node ${id} does not exist`);
      this.path.push(id);
      this.#stepsSinceInput++;
      switch (node.type) {
        case 'say':
          say.push(this.#speak(id, node.text, node.interruptible ?? true));
          id = node.next;
          break;
        case 'ask':
          this.#retriesUsed = 0;
          say.push(this.#speak(id, node.prompt, true));
          return { say, listen: this.#listen(id, node), end: null };
        case 'branch':
          id = node.cases.find((c) => conditionHolds(c.when, this.variables))?.next ?? node.else;
          break;
        case 'set':
          this.#assign(node.values);
          id = node.next;
          break;
        case 'action': {
          const { ok } = await this.#effects.action(id, node, this.variables);
          id = ok ? node.next : (node.on_fail ?? node.next);
          break;
        }
        case 'agent':
          this.#waiting = id;
          this.#agentTurns = 0;
          this.#agentHistory = [];
          return {
            say,
            listen: { node: id, hints: [], timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, dtmf: false },
            end: null,
          };
        case 'transfer':
          return this.#transferAt(id, node, say);
        case 'end':
          if (node.text) say.push(this.#speak(id, node.text, true));
          this.end = { reason: 'flow_ended', outcome: node.outcome };
          return { say, listen: null, end: this.end };
      }
    }
    throw new Error('unreachable');
  }

  /** Too many nodes in all, or since the caller last spoke: the flow loops. */
  #outOfSteps(): boolean {
    return this.path.length >= MAX_STEPS || this.#stepsSinceInput >= MAX_STEPS_WITHOUT_INPUT;
  }

  /** A set node: each value, with `{{...}}` filled in strings. */
  #assign(values: NodeOf<'set'>['values']): void {
    for (const [k, v] of Object.entries(values))
      this.variables[k] = typeof v === 'string' ? fillValue(v, this.variables) : v;
  }

  /** A transfer node ends the flow with the number to transfer to (`transferFailed` may resume it). */
  #transferAt(id: string, node: NodeOf<'transfer'>, say: Utterance[]): FlowStep {
    if (node.say) say.push(this.#speak(id, node.say, true));
    this.#transfer = { node: id };
    this.end = {
      reason: 'transferred',
      outcome: 'transferred',
      transferTo: fillValue(node.to, this.variables),
    };
    return { say, listen: null, end: this.end };
  }
}
