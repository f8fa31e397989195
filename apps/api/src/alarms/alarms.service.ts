import {
  Topics,
  type AckCommand,
  type AlarmView,
  type DisableCommand,
  type EnableCommand,
  type JournalQuery,
  type ShelveCommand,
  type UnshelveCommand,
} from '@cicenns/contracts';
import { ConflictException, ServiceUnavailableException } from '@nestjs/common';
import { auditedAction, type Actor } from '../audit/audited-action';
import type { AuditLog } from '../audit/audit-log';
import { RpcUnavailable, type BusRpc } from '@cicenns/bus';
import type { AlarmCache } from './alarm-cache';

/** A command as the API builds it: `act` adds who and from where. */
type Command<T> = Omit<T, 'user' | 'origin'>;

/** Who asks for an alarm action, from where, and what the audit log records of the request. */
export type AlarmActor = Actor;

/** The alarm service's answer time before the API says it is unavailable. */
const ALARM_TIMEOUT_MS = 5000;

/**
 * Alarms: current states from the retained MQTT topics (AlarmCache); actions and the journal
 * through the alarm service (MQTT request/response), each action audited with who and from where.
 */
export class AlarmsService {
  constructor(
    private readonly alarms: AlarmCache,
    private readonly rpc: BusRpc,
    private readonly audit: AuditLog,
  ) {}

  list(): AlarmView[] {
    return this.alarms.list();
  }

  journal(q: JournalQuery): Promise<unknown> {
    return this.call(Topics.alarms.query.journal, q);
  }

  ack(by: AlarmActor, cmd: Command<AckCommand>): Promise<unknown> {
    return this.act(by, Topics.alarms.cmd.ack, cmd.alarmIds.join(','), {
      alarmIds: cmd.alarmIds,
      comment: cmd.comment,
    } satisfies Command<AckCommand>);
  }

  /** A shelf is asked for in minutes, sent as an instant. */
  shelve(by: AlarmActor, alarmId: string, reason: string, minutes: number): Promise<unknown> {
    return this.act(by, Topics.alarms.cmd.shelve, alarmId, {
      alarmId,
      reason,
      until: Date.now() + minutes * 60_000,
    } satisfies Command<ShelveCommand>);
  }

  unshelve(by: AlarmActor, alarmId: string): Promise<unknown> {
    return this.act(by, Topics.alarms.cmd.unshelve, alarmId, {
      alarmId,
    } satisfies Command<UnshelveCommand>);
  }

  disable(by: AlarmActor, alarmId: string, reason: string): Promise<unknown> {
    return this.act(by, Topics.alarms.cmd.disable, alarmId, {
      alarmId,
      reason,
    } satisfies Command<DisableCommand>);
  }

  enable(by: AlarmActor, alarmId: string): Promise<unknown> {
    return this.act(by, Topics.alarms.cmd.enable, alarmId, {
      alarmId,
    } satisfies Command<EnableCommand>);
  }

  /** Forward an action with who and from where; audit its outcome (refusals: AuditFilter). */
  private act(by: AlarmActor, pattern: string, target: string, payload: Record<string, unknown>) {
    const data = { ...payload, user: by.user.name, origin: by.origin };
    return auditedAction(this.audit, by, target, () => this.call(pattern, data));
  }

  private async call(pattern: string, data: unknown): Promise<unknown> {
    let response: unknown;
    try {
      response = await this.rpc.request<unknown>(pattern, data, ALARM_TIMEOUT_MS, 'the alarm service');
    } catch (err) {
      if (err instanceof RpcUnavailable) throw new ServiceUnavailableException(err.message);
      throw new ConflictException(`alarm service: ${(err as Error).message}`);
    }
    // one result, or one per alarm (ack): refused as a whole only when nothing was done
    type Result = { ok?: boolean; error?: unknown; reason?: unknown; alarmId?: string };
    const results = (Array.isArray(response) ? response : [response]) as (Result | null)[];
    const failed = results.filter((r) => r && typeof r === 'object' && r.ok === false) as Result[];
    if (results.length && failed.length === results.length) {
      const why = failed.map((r) => String(r.error ?? r.reason ?? 'refused')).join('; ');
      throw new ConflictException(`alarm service: ${why}`);
    }
    return response;
  }
}
