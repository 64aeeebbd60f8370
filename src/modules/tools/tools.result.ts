import type { Tool } from './definition.ts';
import type { HttpAnswer } from './tools.http.ts';

/** What a tool's answer becomes: the result the agent sees and the body the record keeps. */

/** The part of the answer the agent sees: the pointer's value, without redacted keys, cut to max_chars. */
export function mapResult(
  tool: Tool,
  answer: HttpAnswer,
): { ok: true; result: unknown } | { ok: false; message: string } {
  if (answer.status === 0) return { ok: true, result: null };
  let value: unknown = answer.body;
  if (/json/.test(answer.contentType) || (!answer.contentType && /^\s*[[{]/.test(answer.body))) {
    if (!answer.body.trim()) value = null;
    else
      try {
        value = JSON.parse(answer.body);
      } catch {
        return { ok: false, message: 'the answer is not valid JSON' };
      }
  }
  if (tool.result.pointer) value = atPointer(value, tool.result.pointer);
  value = redact(value, new Set(tool.result.redact.map((k) => k.toLowerCase())));
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  if (text.length > tool.result.max_chars)
    return { ok: true, result: `${text.slice(0, tool.result.max_chars)}…` };
  return { ok: true, result: value ?? null };
}

/** The answer's body as recorded: a JSON answer without its `redact` keys (at any depth). */
export function redactBody(tool: Tool, answer: HttpAnswer): string {
  if (tool.result.redact.length === 0 || !answer.body.trim()) return answer.body;
  if (!/json/.test(answer.contentType) && !/^\s*[[{]/.test(answer.body)) return answer.body;
  try {
    const keys = new Set(tool.result.redact.map((k) => k.toLowerCase()));
    return JSON.stringify(redact(JSON.parse(answer.body), keys));
  } catch {
    return answer.body;
  }
}

function atPointer(value: unknown, pointer: string): unknown {
  let v = value;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (v === null || typeof v !== 'object') return null;
    v = (v as Record<string, unknown>)[key];
  }
  return v ?? null;
}

function redact(value: unknown, keys: Set<string>): unknown {
  if (keys.size === 0) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, keys));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !keys.has(k.toLowerCase()))
        .map(([k, v]) => [k, redact(v, keys)]),
    );
  return value;
}

/** Values at dotted paths of the result (`order.status`), those present only. */
export function pick(result: unknown, paths: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(paths)) {
    let v: unknown = result;
    for (const key of path.split('.').filter(Boolean))
      v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    if (v !== undefined && v !== null && typeof v !== 'object') out[name] = v;
  }
  return out;
}
