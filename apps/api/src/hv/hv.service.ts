import { randomUUID } from 'node:crypto';
import { type HvWriteCommand, type HvWriteResult, hvWriteResultSchema, Topics } from '@cicenns/contracts';
import { deviceById, type Pmt, type SystemConfig } from '@cicenns/model';
import {
  ConflictException,
  ForbiddenException,
  NotFoundException,
  BadRequestException,
} from '@nestjs/common';
import type { AuditLog } from '../audit/audit-log';
import type { Principal } from '../auth/roles';
import { RpcUnavailable, type BusRpc } from '@cicenns/bus';
import type { LiveCache } from '../live-cache';
import type { Views } from '../views';
import type { HvApplyRequest, HvPreviewRequest, HvSet } from './hv-dto';
import { hvRefusals, hvWrites, profileRefusals } from './hv-safety';
import { resolveTarget } from './hv-target';
import type { RampProgress, RampWatcher } from './ramp-watcher';

export interface HvChange {
  pmt: string;
  device: string;
  channel: number;
  from: Record<string, number | string | string[] | null>;
  to: HvSet;
  allowed: boolean;
  refusal?: string;
}

interface Preview {
  previewId: string;
  user: string;
  request: HvPreviewRequest;
  expiresAtMs: number;
  changes: HvChange[];
}

export interface HvResult {
  pmt: string;
  ok: boolean;
  readBack: Record<string, number | null>;
  error?: string;
}

interface Operation {
  operationId: string;
  user: string;
  startedAt: string;
  set: HvSet;
  results: HvResult[];
  refused: { pmt: string; refusal: string }[];
  progress: Record<string, RampProgress>;
}

/** The API's answer time for one write; the poller refuses a command still waiting after COMMAND_TTL_MS. */
const WRITE_TIMEOUT_MS = 10_000;
const COMMAND_TTL_MS = 8_000;
const KEEP_OPERATIONS = 50;

/**
 * HV control for experts: preview (what would change, what is refused and why), then apply the
 * previewed change one channel after another through the poller, each write read back.
 */
export class HvService {
  private readonly previews = new Map<string, Preview>();
  readonly operations = new Map<string, Operation>();

  constructor(
    private readonly cfg: SystemConfig,
    private readonly views: Views,
    private readonly cache: LiveCache,
    private readonly rpc: BusRpc,
    private readonly audit: AuditLog,
    private readonly ramps: RampWatcher,
  ) {}

  preview(user: Principal, origin: string, req: HvPreviewRequest) {
    this.dropExpired();
    const pmts = resolveTarget(this.cfg.detector, req.target);
    if (typeof pmts === 'string') throw new BadRequestException(`target: ${pmts}`);
    const changes = pmts.map((p) => this.change(p, req.set));
    const previewId = randomUUID();
    const expiresAtMs = Date.now() + this.cfg.app.auth.hvPreviewTtlSeconds * 1000;
    this.previews.set(previewId, { previewId, user: user.name, request: req, expiresAtMs, changes });
    const refused = changes.filter((c) => !c.allowed).length;
    this.audit.record({
      user: user.name,
      role: user.role,
      origin,
      action: 'hv.preview',
      target: JSON.stringify(req.target),
      params: req,
      outcome: refused ? 'refused' : 'ok',
      detail: `${changes.length - refused} allowed, ${refused} refused${refused ? `: ${refusalText(changes)}` : ''}`,
    });
    return { previewId, expiresAt: new Date(expiresAtMs).toISOString(), changes };
  }

  async apply(user: Principal, origin: string, req: HvApplyRequest) {
    this.dropExpired();
    const preview = this.previews.get(req.previewId);
    if (!preview)
      throw new NotFoundException(`no preview ${req.previewId} (expired or already applied): preview again`);
    if (preview.user !== user.name)
      throw new ForbiddenException(
        `preview ${req.previewId} belongs to ${preview.user}; preview it yourself`,
      );
    // the world may have moved since the preview: check again with what is known now
    const pmts = resolveTarget(this.cfg.detector, preview.request.target) as Pmt[];
    const changes = pmts.map((p) => this.change(p, preview.request.set));
    const refused = changes.filter((c) => !c.allowed);
    if (refused.length && !req.partial)
      throw new ConflictException(
        `${refused.length} of ${changes.length} changes refused (${refusalText(changes)}); nothing written. ` +
          'Pass partial: true to apply the allowed ones.',
      );
    const allowed = changes.filter((c) => c.allowed);
    if (!allowed.length) throw new ConflictException(`every change is refused (${refusalText(changes)})`);
    this.previews.delete(req.previewId);

    const op: Operation = {
      operationId: randomUUID(),
      user: user.name,
      startedAt: new Date().toISOString(),
      set: preview.request.set,
      results: [],
      refused: refused.map((c) => ({ pmt: c.pmt, refusal: c.refusal! })),
      progress: {},
    };
    this.remember(op);
    for (const c of refused) this.auditChannel(user, origin, op, c.pmt, 'refused', c.refusal!);
    let stoppedBy: string | undefined;
    for (const c of allowed) {
      if (stoppedBy) {
        const error = `not attempted: the operation stopped after ${stoppedBy} failed`;
        op.results.push({ pmt: c.pmt, ok: false, readBack: {}, error });
        this.auditChannel(user, origin, op, c.pmt, 'failed', error);
        continue;
      }
      const result = await this.applyChannel(user, op, c);
      op.results.push(result);
      this.auditChannel(
        user,
        origin,
        op,
        c.pmt,
        result.ok ? 'ok' : 'failed',
        result.error ?? JSON.stringify(result.readBack),
      );
      if (!result.ok) stoppedBy = c.pmt;
      else this.watchRamp(op, c);
    }
    const ok = op.results.every((r) => r.ok);
    return { operationId: op.operationId, ok, results: op.results, refused: op.refused };
  }

  operation(id: string) {
    const op = this.operations.get(id);
    if (!op) throw new NotFoundException(`no HV operation ${id} (only the last ${KEEP_OPERATIONS} are kept)`);
    return op;
  }

  /** One channel's writes in order; the first failure ends the channel (later writes not made). */
  private async applyChannel(user: Principal, op: Operation, c: HvChange): Promise<HvResult> {
    const readBack: Record<string, number | null> = {};
    for (const w of hvWrites(c.to)) {
      const cmd: HvWriteCommand = {
        pmt: c.pmt,
        register: w.register,
        value: w.value,
        user: user.name,
        operationId: op.operationId,
        expiresAt: Date.now() + COMMAND_TTL_MS,
      };
      let r: HvWriteResult;
      try {
        // the poller's answer is read with the contract's schema, as the poller reads the command
        const answer = await this.rpc.request<unknown>(
          Topics.hv.cmd.write,
          cmd,
          WRITE_TIMEOUT_MS,
          'the poller',
        );
        const parsed = hvWriteResultSchema.safeParse(answer);
        if (!parsed.success)
          throw new Error(
            `the poller's answer is not an HV write result: ${parsed.error.issues[0]?.message}`,
          );
        r = parsed.data;
      } catch (err) {
        const unsure =
          err instanceof RpcUnavailable ? '; whether it was written is unknown: check the channel' : '';
        return {
          pmt: c.pmt,
          ok: false,
          readBack,
          error: `${w.register}=${w.value}: ${(err as Error).message}${unsure}`,
        };
      }
      if (r.readBack !== undefined) readBack[w.register] = r.readBack;
      if (!r.ok) {
        const why = r.refused ? `refused by the poller: ${r.refused}` : r.error;
        const done = Object.keys(readBack).filter((k) => k !== w.register);
        const partial = done.length ? ` (already written: ${done.join(', ')})` : '';
        return { pmt: c.pmt, ok: false, readBack, error: `${w.register}=${w.value}: ${why}${partial}` };
      }
    }
    return { pmt: c.pmt, ok: true, readBack };
  }

  private watchRamp(op: Operation, c: HvChange): void {
    const set = c.to;
    if (set.vset === undefined && set.power === undefined) return;
    const off = set.power === 'off' || (set.power === undefined && c.from.power === 'off');
    const target = off ? 0 : (set.vset ?? (c.from.vset as number | null) ?? 0);
    const vmon = typeof c.from.vmon === 'number' ? c.from.vmon : null;
    const rate =
      (target >= (vmon ?? 0) ? (set.rampUp ?? c.from.rampUp) : (set.rampDown ?? c.from.rampDown)) ?? 1;
    op.progress[c.pmt] = this.ramps.watch(op.operationId, c.pmt, target, vmon, Number(rate));
  }

  private change(p: Pmt, set: HvSet): HvChange {
    const view = this.views.pmt(p.id)!;
    const f = this.cache.get('hv', p.id)?.fields ?? {};
    const num = (k: string) => (typeof f[k] === 'number' ? (f[k] as number) : null);
    const power = num('power');
    const device = deviceById(this.cfg.app.devices, p.hv.device);
    const profileName = device?.profile ?? '';
    const refusals = [
      ...profileRefusals(
        set,
        p.hv.device,
        this.cfg.profiles.get(profileName),
        this.cfg.profileFiles?.get(profileName),
      ),
      ...hvRefusals(p, set, {
        quality: view.vmon.quality,
        error: view.vmon.error,
        flags: view.status.flags,
      }),
    ];
    return {
      pmt: p.id,
      device: p.hv.device,
      channel: p.hv.channel,
      from: {
        vset: num('vset'),
        iset: num('iset'),
        rampUp: num('ramp_up'),
        rampDown: num('ramp_down'),
        power: power === null ? null : power ? 'on' : 'off',
        vmon: num('vmon'),
        status: view.status.flags,
      },
      to: set,
      allowed: refusals.length === 0,
      ...(refusals.length && { refusal: refusals.join('; ') }),
    };
  }

  private auditChannel(
    user: Principal,
    origin: string,
    op: Operation,
    pmt: string,
    outcome: 'ok' | 'refused' | 'failed',
    detail: string,
  ) {
    this.audit.record({
      user: user.name,
      role: user.role,
      origin,
      action: 'hv.set',
      target: pmt,
      params: { operationId: op.operationId, ...op.set },
      outcome,
      detail,
    });
  }

  private remember(op: Operation): void {
    this.operations.set(op.operationId, op);
    while (this.operations.size > KEEP_OPERATIONS)
      this.operations.delete(this.operations.keys().next().value!);
  }

  private dropExpired(): void {
    const now = Date.now();
    for (const [id, p] of this.previews) if (p.expiresAtMs < now) this.previews.delete(id);
  }
}

function refusalText(changes: HvChange[]): string {
  return changes
    .filter((c) => !c.allowed)
    .map((c) => `${c.pmt}: ${c.refusal}`)
    .join('; ');
}
