import { hvLimitRefusal, type Pmt } from '@cicenns/model';
import type { HvWriteCommand } from '@cicenns/contracts';

/**
 * The poller's own check of an HV write, the last one before the hardware: whatever the API
 * decided, nothing outside the PMT's configured limits reaches a Modbus write, and a channel
 * whose status shows an interlock may only be switched off. Returns the refusal, or undefined.
 */
export function refuseHvWrite(
  cmd: HvWriteCommand,
  pmt: Pmt | undefined,
  statusFlags: readonly string[] | null,
  now: number,
): string | undefined {
  if (!pmt) return `unknown PMT "${cmd.pmt}"`;
  if (now > cmd.expiresAt) return `command expired ${now - cmd.expiresAt} ms ago (not run late)`;
  const v = cmd.value;
  if (cmd.register === 'power') {
    if (v !== 0 && v !== 1) return `power must be 0 or 1, not ${v}`;
  } else {
    const outside = hvLimitRefusal(pmt, cmd.register, v);
    if (outside) return outside;
  }
  // switching off is always allowed: it is what one wants from an interlocked channel
  const switchingOff = cmd.register === 'power' && v === 0;
  if (!switchingOff) {
    if (statusFlags === null) return `status of ${pmt.id} could not be read: interlock state unknown`;
    if (statusFlags.includes('interlock')) return `${pmt.id}: its crate reports an interlock`;
  }
  return undefined;
}
