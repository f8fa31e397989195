import type { SystemConfig } from '@cicenns/model';
import { describeIssue, faultSpecSchema, type Fault, type FaultSpec, type FaultType } from './fault-schema';

export class FaultError extends Error {}

type FaultOf<T extends FaultType> = Extract<Fault, { type: T }>;

/**
 * The active faults. Physics and the Modbus servers ask it on every step / request, so
 * injecting or clearing a fault takes effect at once. Listeners hear about additions and
 * removals (a trip is an event, not a state the physics can recompute).
 */
export class FaultRegistry {
  private readonly faults = new Map<string, Fault>();
  private seq = 0;
  private readonly listeners: ((ev: 'added' | 'removed', f: Fault) => void)[] = [];

  constructor(
    private readonly config: SystemConfig,
    private readonly now: () => number = Date.now,
  ) {}

  onChange(fn: (ev: 'added' | 'removed', f: Fault) => void): void {
    this.listeners.push(fn);
  }

  /** Validate (shape and references) and activate. Throws FaultError with the reason. */
  add(input: unknown): Fault {
    const r = faultSpecSchema.safeParse(input);
    if (!r.success) throw new FaultError(describeIssue(r.error));
    this.checkReferences(r.data);
    const at = this.now();
    const fault = {
      ...r.data,
      id: `f${++this.seq}`,
      injectedAt: new Date(at).toISOString(),
      injectedAtMs: at,
    };
    this.faults.set(fault.id, fault);
    for (const l of this.listeners) l('added', fault);
    return fault;
  }

  remove(id: string): Fault | undefined {
    const f = this.faults.get(id);
    if (!f) return undefined;
    this.faults.delete(id);
    for (const l of this.listeners) l('removed', f);
    return f;
  }

  clear(): Fault[] {
    const all = this.list();
    for (const f of all) this.remove(f.id);
    return all;
  }

  list(): Fault[] {
    return [...this.faults.values()];
  }

  ofType<T extends FaultType>(type: T): FaultOf<T>[] {
    return this.list().filter((f): f is FaultOf<T> => f.type === type);
  }

  /** Faults of a type aimed at one target (pmt, device or sensor id). */
  on<T extends FaultType>(type: T, target: string): FaultOf<T>[] {
    return this.ofType(type).filter((f) => targetOf(f) === target);
  }

  private checkReferences(spec: FaultSpec): void {
    const d = this.config.detector;
    if ('pmt' in spec && !d.pmt(spec.pmt)) throw new FaultError(`pmt: unknown PMT "${spec.pmt}"`);
    if ('sensor' in spec && !d.sensor(spec.sensor))
      throw new FaultError(`sensor: unknown sensor "${spec.sensor}"`);
    if ('device' in spec && !this.config.app.devices.some((x) => x.id === spec.device)) {
      const known = this.config.app.devices.map((x) => x.id).join(', ');
      throw new FaultError(`device: unknown device "${spec.device}" (known: ${known})`);
    }
  }
}

function targetOf(f: Fault): string | undefined {
  if ('pmt' in f) return f.pmt;
  if ('device' in f) return f.device;
  if ('sensor' in f) return f.sensor;
  return undefined;
}
