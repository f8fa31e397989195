import type { SystemConfig } from '@cicenns/model';
import { describeIssue, faultSpecSchema, type Fault, type FaultSpec, type FaultType } from './fault-schema';

export class FaultError extends Error {}

export type FaultOf<T extends FaultType> = Extract<Fault, { type: T }>;

/** What on() and ofType() answer when no fault matches: shared, so asking allocates nothing. */
export const NO_FAULTS: readonly never[] = Object.freeze([]);
const NO_TARGETS: ReadonlyMap<string, readonly never[]> = new Map();

/**
 * The active faults. Physics and the Modbus servers ask it on every step / request, so
 * injecting or clearing a fault takes effect at once. Listeners hear about additions and
 * removals (a trip is an event, not a state the physics can recompute).
 */
export class FaultRegistry {
  private readonly faults = new Map<string, Fault>();
  private seq = 0;
  private readonly listeners: ((ev: 'added' | 'removed', f: Fault) => void)[] = [];
  /**
   * The faults in force by type, and by type and target: the physics asks for every channel on
   * every tick (10,000 channels at 10 Hz), so the answer is looked up, not filtered out of the
   * list each time. Rebuilt on every add and remove, which are rare.
   */
  private byType = new Map<FaultType, Fault[]>();
  private byTypeAndTarget = new Map<FaultType, Map<string, Fault[]>>();

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
    this.reindex();
    for (const l of this.listeners) l('added', fault);
    return fault;
  }

  remove(id: string): Fault | undefined {
    const f = this.faults.get(id);
    if (!f) return undefined;
    this.faults.delete(id);
    this.reindex();
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

  /** The faults of one type, in the order they were injected. */
  ofType<T extends FaultType>(type: T): readonly FaultOf<T>[] {
    return (this.byType.get(type) as FaultOf<T>[] | undefined) ?? NO_FAULTS;
  }

  /** Faults of a type aimed at one target (pmt, device or sensor id), in the order injected. */
  on<T extends FaultType>(type: T, target: string): readonly FaultOf<T>[] {
    return (this.byTypeAndTarget.get(type)?.get(target) as FaultOf<T>[] | undefined) ?? NO_FAULTS;
  }

  /**
   * The faults of one type by their target (only targets with at least one): a loop over every
   * channel takes this once and looks each channel up, or skips the look-ups when it is empty.
   */
  byTarget<T extends FaultType>(type: T): ReadonlyMap<string, readonly FaultOf<T>[]> {
    return (this.byTypeAndTarget.get(type) as Map<string, FaultOf<T>[]> | undefined) ?? NO_TARGETS;
  }

  private reindex(): void {
    const byType = new Map<FaultType, Fault[]>();
    const byTypeAndTarget = new Map<FaultType, Map<string, Fault[]>>();
    for (const f of this.faults.values()) {
      const ofType = byType.get(f.type) ?? [];
      if (!ofType.length) byType.set(f.type, ofType);
      ofType.push(f);
      const target = targetOf(f);
      if (target === undefined) continue;
      let targets = byTypeAndTarget.get(f.type);
      if (!targets) byTypeAndTarget.set(f.type, (targets = new Map()));
      const onTarget = targets.get(target) ?? [];
      if (!onTarget.length) targets.set(target, onTarget);
      onTarget.push(f);
    }
    this.byType = byType;
    this.byTypeAndTarget = byTypeAndTarget;
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
