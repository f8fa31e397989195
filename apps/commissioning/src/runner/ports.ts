/**
 * What the runner needs of the hardware, as the smallest interfaces: the real DetectorState,
 * HvActuator and DaqClient (../hardware) have these methods, and the runner's unit specs pass
 * small fakes of them (test/support/fakes/commissioning-hardware.ts).
 */
import type { MeasurementKind } from '@cicenns/contracts';
import type { MeasureOutcome } from '../hardware/daq-client';
import type { HvState } from '../hardware/detector-state';
import type { HvWho } from '../hardware/hv-actuator';

/** the hardware's own data types (types only: the runner does not load the hardware modules) */
export type { MeasureOutcome };
export type HvReading = HvState;
export type Who = HvWho;

export interface DetectorStatePort {
  hv(pmt: string): HvReading | undefined;
  temperature(sensorId: string): { valueC: number; ts: number } | undefined;
  beam(): { on: boolean; power_kw: number; ts: number } | undefined;
  waitForHv(
    pmt: string,
    pred: (s: HvReading) => boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<HvReading>;
}

export interface HvPort {
  /** ramps at the channel's limit; resolves once reached; throws (HvRefused above vmax, or a failed write/ramp) */
  setVoltage(pmt: string, volts: number, who: Who, signal?: AbortSignal): Promise<HvReading>;
  /** vset 0 and power off; never throws for a channel already off */
  off(pmt: string, who: Who): Promise<void>;
}

export interface DaqPort {
  measure(
    kind: MeasurementKind,
    pmt: string,
    durationS: number,
    runId: string,
    signal?: AbortSignal,
    onWait?: (why: string) => void,
  ): Promise<MeasureOutcome>;
}
