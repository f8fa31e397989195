/**
 * HV actuation for commissioning steps: set a PMT's channel to a voltage and wait until it is
 * there, or switch it off. Every write goes to the poller (Topics.hv.cmd.write), which checks the
 * limits again, writes, reads back and answers; this class checks vmax first so that a refused
 * voltage sends nothing at all.
 */
import { randomUUID } from 'node:crypto';
import { RpcUnavailable, type BusRpc } from '@cicenns/bus';
import type { ServiceLogger } from '@cicenns/common';
import {
  hvWriteResultSchema,
  Topics,
  type HvRegister,
  type HvWriteCommand,
  type HvWriteResult,
} from '@cicenns/contracts';
import { hvLimitRefusal, type Detector, type Pmt, type Procedure } from '@cicenns/model';
import { describeHv, type DetectorState, type HvState } from './detector-state';

/** SPEC 2.1 status bits (the generic-hv profile; the poller publishes the raw word) */
export const HV_STATUS = { rampingUp: 1, rampingDown: 2, tripped: 6, interlock: 8 } as const;
/** below this VMon a channel switched off counts as off */
export const OFF_VMON_V = 5;

/** The voltage may not be set (unknown PMT, above vmax): nothing was written. */
export class HvRefused extends Error {}
/** The poller refused or failed a write, or did not answer (its reason in the message). */
export class HvWriteFailed extends Error {}
/** The channel tripped or its interlock is set while it ramped. */
export class HvChannelFault extends Error {}

/** One write made (or refused before sending), for the run's audit. */
export interface HvWriteAudit {
  /** epoch ms when the answer came */
  at: number;
  pmt: string;
  register: HvRegister;
  value: number;
  ok: boolean;
  readBack?: number | null;
  /** the poller's refusal (nothing written) */
  refused?: string;
  error?: string;
  user: string;
  runId: string;
  operationId: string;
}

export interface HvWho {
  user: string;
  runId: string;
}

const bit = (s: HvState, b: number) => ((s.status ?? 0) >> b) & 1;

export class HvActuator {
  private readonly listeners: ((w: HvWriteAudit) => void)[] = [];

  constructor(
    private readonly rpc: BusRpc,
    private readonly state: DetectorState,
    private readonly detector: Detector,
    private readonly settings: Procedure['hv'],
    private readonly log: ServiceLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Ramp rate registers to the channel's rampMaxVps, vset, power on; resolves once VMon is within
   * reachedToleranceV and not ramping; refuses (throws HvRefused) a voltage above the channel's
   * vmax BEFORE sending anything. A trip or interlock while waiting fails at once (HvChannelFault).
   */
  async setVoltage(pmt: string, volts: number, who: HvWho, signal?: AbortSignal): Promise<HvState> {
    const p = this.detector.pmt(pmt);
    if (!p) throw new HvRefused(`unknown PMT ${pmt}`);
    const refusal = hvLimitRefusal(p, 'vset', volts);
    if (refusal) throw new HvRefused(`not set: ${refusal}`);
    const rate = p.limits.rampMaxVps;
    const from = this.state.hv(pmt);
    const startV = from?.power === 0 ? 0 : (from?.vmon ?? 0);
    for (const [register, value] of [
      ['ramp_up', rate],
      ['ramp_down', rate],
      ['vset', volts],
      ['power', 1],
    ] as const) {
      signal?.throwIfAborted();
      await this.write(p, register, value, who);
    }
    const sentAt = this.now();
    const timeoutMs = this.rampTimeoutMs(Math.abs(volts - startV), rate);
    const tol = this.settings.reachedToleranceV;
    const reached = await this.state.waitForHv(
      pmt,
      (s) => {
        if (s.receivedAt < sentAt) return false; // from before the writes
        this.throwOnFault(pmt, s);
        return (
          s.quality === 'good' &&
          s.vmon !== undefined &&
          Math.abs(s.vmon - volts) <= tol &&
          s.power !== 0 &&
          !bit(s, HV_STATUS.rampingUp) &&
          !bit(s, HV_STATUS.rampingDown)
        );
      },
      timeoutMs,
      signal,
    );
    this.log.log(`${pmt} at ${reached.vmon} V (set ${volts} V) for run ${who.runId}`);
    return reached;
  }

  /**
   * vset 0 and power off, waits until VMon < OFF_VMON_V (or the timeout, logged); never throws
   * for a channel already off; used by abort and after a failed step. Both writes are tried even
   * when the first fails; a failure on a channel not known to be off throws HvWriteFailed.
   */
  async off(pmt: string, who: HvWho): Promise<void> {
    const p = this.detector.pmt(pmt);
    if (!p) throw new HvRefused(`unknown PMT ${pmt}`);
    const before = this.state.hv(pmt);
    const alreadyOff =
      before?.quality === 'good' && before.power === 0 && (before.vmon ?? Infinity) < OFF_VMON_V;
    let failure: Error | undefined;
    for (const [register, value] of [
      ['vset', 0],
      ['power', 0],
    ] as const) {
      try {
        await this.write(p, register, value, who);
      } catch (err) {
        failure ??= err as Error;
      }
    }
    if (failure) {
      if (alreadyOff) {
        this.log.warn(`${pmt} already off; switching it off again failed: ${failure.message}`);
        return;
      }
      throw failure;
    }
    const sentAt = this.now();
    const timeoutMs = this.rampTimeoutMs(before?.vmon ?? p.limits.vmax, p.limits.rampMaxVps);
    try {
      await this.state.waitForHv(
        pmt,
        (s) => s.receivedAt >= sentAt && s.quality === 'good' && s.vmon !== undefined && s.vmon < OFF_VMON_V,
        timeoutMs,
      );
    } catch (err) {
      this.log.warn(`${pmt} switched off but VMon not below ${OFF_VMON_V} V yet: ${(err as Error).message}`);
    }
  }

  /** every write made, for the run's audit */
  onWrite(cb: (w: HvWriteAudit) => void): void {
    this.listeners.push(cb);
  }

  /** |dV| / ramp * rampTimeFactor + rampMarginS */
  rampTimeoutMs(deltaV: number, rateVps: number): number {
    const { rampTimeFactor, rampMarginS } = this.settings;
    return Math.ceil(((deltaV / rateVps) * rampTimeFactor + rampMarginS) * 1000);
  }

  private throwOnFault(pmt: string, s: HvState): void {
    if (s.quality !== 'good') return;
    if (bit(s, HV_STATUS.tripped))
      throw new HvChannelFault(`${pmt} tripped while ramping (${describeHv(s)})`);
    if (bit(s, HV_STATUS.interlock))
      throw new HvChannelFault(`${pmt}: interlock set while ramping (${describeHv(s)})`);
  }

  /** One register through the poller; its refusal, error or silence -> HvWriteFailed. */
  private async write(p: Pmt, register: HvRegister, value: number, who: HvWho): Promise<HvWriteResult> {
    const operationId = `${who.runId.slice(0, 24)}-${randomUUID()}`;
    const cmd: HvWriteCommand = {
      pmt: p.id,
      register,
      value,
      user: who.user,
      operationId,
      expiresAt: this.now() + this.settings.writeTimeoutS * 1000,
    };
    const audit = { pmt: p.id, register, value, user: who.user, runId: who.runId, operationId };
    let r: HvWriteResult;
    try {
      // a little longer than the command's life: the poller's "expired" answer still arrives
      const answer = await this.rpc.request<unknown>(
        Topics.hv.cmd.write,
        cmd,
        this.settings.writeTimeoutS * 1000 + 2000,
        'the poller',
      );
      const parsed = hvWriteResultSchema.safeParse(answer);
      if (!parsed.success)
        throw new Error(`the poller's answer is not an HV write result: ${parsed.error.issues[0]?.message}`);
      r = parsed.data;
    } catch (err) {
      const unsure = err instanceof RpcUnavailable ? '; whether it was written is unknown' : '';
      const error = `${(err as Error).message}${unsure}`;
      this.emit({ ...audit, at: this.now(), ok: false, error });
      throw new HvWriteFailed(`${p.id} ${register}=${value}: ${error}`);
    }
    this.emit({
      ...audit,
      at: this.now(),
      ok: r.ok,
      ...(r.readBack !== undefined && { readBack: r.readBack }),
      ...(r.refused !== undefined && { refused: r.refused }),
      ...(r.error !== undefined && { error: r.error }),
    });
    if (!r.ok)
      throw new HvWriteFailed(
        `${p.id} ${register}=${value}: ${r.refused ? `refused by the poller: ${r.refused}` : (r.error ?? 'failed')}`,
      );
    return r;
  }

  private emit(w: HvWriteAudit): void {
    for (const l of this.listeners) {
      try {
        l(w);
      } catch (err) {
        this.log.error(`HV write audit listener failed: ${(err as Error).message}`);
      }
    }
  }
}
