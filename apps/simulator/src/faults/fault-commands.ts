import { clearCommandSchema, type Fault } from './fault-schema';
import type { FaultRegistry } from './fault-registry';

export type FaultCommandResult =
  { ok: true; added: Fault } | { ok: true; cleared: Fault[] } | { ok: false; reason: string };

/**
 * A fault command as JSON text, the MQTT form (cicenns/sim/fault): a fault spec adds a fault,
 * {"clear": true} clears all, {"clear": "<id>"} one.
 */
export function applyFaultCommand(faults: FaultRegistry, text: string): FaultCommandResult {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const clear = clearCommandSchema.safeParse(body);
  if (clear.success) {
    if (clear.data.clear === true) return { ok: true, cleared: faults.clear() };
    const removed = faults.remove(clear.data.clear);
    return removed
      ? { ok: true, cleared: [removed] }
      : { ok: false, reason: `no fault "${clear.data.clear}"` };
  }
  try {
    return { ok: true, added: faults.add(body) };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
