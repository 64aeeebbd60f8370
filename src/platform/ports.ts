/**
 * Ports: what a module needs from a module above it, which it may not import (the import would
 * run upwards, against the module order of `src/modules/index.ts`). The module that needs an
 * operation declares it here, by declaration merging in its own files:
 *
 *   declare module '../../platform/ports.ts' {
 *     interface Ports { agentExists: (db: Db | Trx, scope: Scope, agentId: string) => Promise<boolean> }
 *   }
 *
 * and reads it as `ctx.ports.agentExists` (undefined when no module of this app provides it: an
 * app made of fewer modules, as some tests make). The module above provides it from its `Module`
 * object (`provides(ctx)`), and `startParley` gathers every module's ports once, after each
 * module's setup, into `ctx.ports`; two modules providing one port stop the start. No module writes
 * into another's instance: who needs what and who provides it are both in code, typed.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in the modules that need each port.
export interface Ports {}

/** Gathers the ports modules provide; a port provided twice is a wiring error. */
export function gatherPorts(provided: Array<{ module: string; ports: Partial<Ports> }>): Partial<Ports> {
  const out: Partial<Ports> = {};
  const from = new Map<string, string>();
  for (const { module, ports } of provided)
    for (const [name, port] of Object.entries(ports)) {
      const other = from.get(name);
      if (other) throw new Error(`The ${name} port is provided by both ${other} and ${module}`);
      from.set(name, module);
      (out as Record<string, unknown>)[name] = port;
    }
  return out;
}
