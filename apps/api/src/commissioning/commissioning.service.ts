import {
  Topics,
  type ConfirmCommand,
  type DecideCommand,
  type ProposalView,
  type ReportEntry,
  type RunCommand,
  type RunSummary,
  type RunView,
  type StartRunCommand,
} from '@cicenns/contracts';
import {
  ConflictException,
  NotFoundException,
  ServiceUnavailableException,
  BadGatewayException,
} from '@nestjs/common';
import { auditedAction, type Actor } from '../audit/audited-action';
import type { AuditLog } from '../audit/audit-log';
import { RpcUnavailable, type BusRpc } from '@cicenns/bus';
import type { ReportFormat } from './commissioning-dto';

/** A command as the API builds it: `act` adds who and from where. */
type Command<T> = Omit<T, 'user' | 'origin'>;

/** Who asks for a commissioning action, from where, and what the audit log records of the request. */
/** Who asks for a commissioning action, from where, and what the audit log records of the request. */
export type CommissioningActor = Actor;

/** A stored report as the service answers it: the document and what it is. */
export interface ReportDocument {
  runId: string;
  format: ReportFormat;
  content: string;
}

/**
 * The commissioning service's answer time before the API says it is unavailable: a start resolves
 * the target and checks every PMT's limits before it answers, so longer than the alarm service's.
 */
const COMMISSIONING_TIMEOUT_MS = 10_000;
/** the largest report the API passes on (a 94-PMT run's HTML with its SVG plots is a few MB) */
const MAX_REPORT_CHARS = 20 * 1024 * 1024;
const WHAT = 'the commissioning service';

/**
 * Commissioning over HTTP: runs, their views and reports from the commissioning service (MQTT
 * request/response); every action forwarded with who and from where, and audited.
 */
export class CommissioningService {
  constructor(
    private readonly rpc: BusRpc,
    private readonly audit: AuditLog,
  ) {}

  procedures(): Promise<unknown> {
    return this.call(Topics.commissioning.query.procedures, {});
  }

  runs(limit?: number): Promise<RunSummary[]> {
    return this.call(Topics.commissioning.query.runs, limit === undefined ? {} : { limit });
  }

  run(runId: string): Promise<RunView> {
    return this.call(Topics.commissioning.query.run, { runId });
  }

  reports(runId?: string): Promise<ReportEntry[]> {
    return this.call(Topics.commissioning.query.reports, runId === undefined ? {} : { runId });
  }

  /** The calibration versions of a PMT: the seed records, the approved ones and the proposals. */
  calibrations(pmt: string): Promise<unknown> {
    return this.call(Topics.commissioning.query.calibration, { pmt });
  }

  async report(runId: string, format: ReportFormat): Promise<ReportDocument> {
    const r = await this.call<unknown>(Topics.commissioning.query.report, { runId, format });
    const content = reportContent(r);
    if (content === undefined) throw new BadGatewayException(`${WHAT} answered without a report document`);
    if (content.length > MAX_REPORT_CHARS)
      throw new BadGatewayException(`${WHAT}: report larger than ${MAX_REPORT_CHARS} characters`);
    return { runId, format, content };
  }

  start(by: CommissioningActor, cmd: Command<StartRunCommand>): Promise<RunView> {
    const target = Array.isArray(cmd.target) ? cmd.target.join(',') : cmd.target;
    return this.act(by, Topics.commissioning.cmd.start, target, cmd);
  }

  /** pause, resume, abort */
  control(
    by: CommissioningActor,
    what: 'pause' | 'resume' | 'abort',
    cmd: Command<RunCommand>,
  ): Promise<RunView> {
    return this.act(by, Topics.commissioning.cmd[what], cmd.runId, cmd);
  }

  confirm(by: CommissioningActor, cmd: Command<ConfirmCommand>): Promise<RunView> {
    return this.act(by, Topics.commissioning.cmd.confirm, cmd.runId, cmd);
  }

  decide(
    by: CommissioningActor,
    what: 'approve' | 'reject',
    cmd: Command<DecideCommand>,
  ): Promise<ProposalView[] | RunView> {
    const target = cmd.pmts?.length ? `${cmd.runId}:${cmd.pmts.join(',')}` : cmd.runId;
    return this.act(by, Topics.commissioning.cmd[what], target, cmd);
  }

  /** Forward an action with who and from where; audit its outcome (refusals: AuditFilter). */
  private act<T>(by: CommissioningActor, pattern: string, target: string, payload: object): Promise<T> {
    const data = { ...payload, user: by.user.name, origin: by.origin };
    return auditedAction(this.audit, by, target, () => this.call<T>(pattern, data), summary);
  }

  private async call<T>(pattern: string, data: unknown): Promise<T> {
    let response: unknown;
    try {
      response = await this.rpc.request<unknown>(pattern, data, COMMISSIONING_TIMEOUT_MS, WHAT);
    } catch (err) {
      if (err instanceof RpcUnavailable) throw new ServiceUnavailableException(err.message);
      throw refusal((err as Error).message);
    }
    const r = response as { ok?: unknown; error?: unknown; reason?: unknown } | null;
    if (r && typeof r === 'object' && !Array.isArray(r) && r.ok === false)
      throw refusal(String(r.error ?? r.reason ?? 'refused'));
    return response as T;
  }
}

/** The service's refusal: an unknown run or PMT is 404, anything else (busy PMT, wrong state) 409. */
function refusal(message: string): Error {
  const text = `${WHAT}: ${message}`;
  return /\b(no|unknown) (run|pmt|report)\b|not found/i.test(message)
    ? new NotFoundException(text)
    : new ConflictException(text);
}

/** A report as text: the service answers the document or an object holding it. */
function reportContent(r: unknown): string | undefined {
  if (typeof r === 'string') return r;
  if (!r || typeof r !== 'object') return undefined;
  const o = r as Record<string, unknown>;
  const c = o.content ?? o.report ?? o.text;
  return typeof c === 'string' ? c : undefined;
}

/** What the audit log keeps of an answer: a run's id and state, not its every measured point. */
function summary(response: unknown): string {
  const r = response as Partial<RunView> | null;
  if (r && typeof r === 'object' && !Array.isArray(r) && typeof r.runId === 'string')
    return JSON.stringify({ runId: r.runId, state: r.state, reason: r.reason, counts: r.counts }).slice(
      0,
      1000,
    );
  return JSON.stringify(response ?? null).slice(0, 1000);
}
