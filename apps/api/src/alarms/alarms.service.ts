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
import type { AlarmOwnership } from '@cicenns/model';

/** A command as the API builds it: `act` adds who and from where. */
type Command<T> = Omit<T, 'user' | 'origin'>;

/** Who asks for an alarm action, from where, and what the audit log records of the request. */
export type AlarmActor = Actor;

/** what the alarm store gives without a limit (alarm-store.ts) */
const JOURNAL_DEFAULT_LIMIT = 1000;
const NO_PARTITIONS = { partitions: [], ownerOfAlarm: () => '' };

/** A journal event as far as the merge reads it (the API passes the rest on as it came). */
type JournalEvent = { ts: number; seq?: number };

/** The journal's answer: the events, and the alarm partitions left out because they did not answer. */
export interface MergedJournal {
  events: JournalEvent[];
  /** each partition that did not answer or refused, with why (none: the journal is whole) */
  missing: { partition: string; reason: string }[];
}

const offlineReason = (partition: string) => `alarm partition ${partition} is offline (its health)`;

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
    /** the alarm service's partitions (scaleOut.alarmPartitions; none: one alarm service) */
    private readonly ownership: Pick<AlarmOwnership, 'partitions' | 'ownerOfAlarm'> = NO_PARTITIONS,
    /** whether a partition's last health report says it is offline (its last will, a stop) */
    private readonly offline: (partition: string) => boolean = () => false,
  ) {}

  list(): AlarmView[] {
    return this.alarms.list();
  }

  /**
   * The journal, newest first. With the alarm service split, each partition's journal is asked
   * for and the answers merged by time, the limit applied to the whole. A partition that does
   * not answer (or refuses) is left out and named in `missing`: a control room still sees the
   * others' events. Only when no partition answers is the journal refused (503 / 409), as the
   * single service's would be. A partition whose health says offline is not asked (the answer
   * does not wait out the timeout for it) unless every one does.
   */
  async journal(q: JournalQuery): Promise<MergedJournal> {
    const { partitions } = this.ownership;
    if (partitions.length === 0)
      return { events: (await this.call(Topics.alarms.query.journal, q)) as JournalEvent[], missing: [] };
    // one alarm's events are all in its owner's journal: asking the others only adds their wait
    if (q.alarmId) {
      const owner = this.ownership.ownerOfAlarm(q.alarmId);
      const events = await this.callOwner(owner, Topics.alarms.query.journal, { ...q, partition: owner });
      return { events: events as JournalEvent[], missing: [] };
    }
    const up = partitions.filter((p) => !this.offline(p));
    const asked = up.length ? up : partitions;
    const settled = await Promise.allSettled(
      asked.map((partition) => this.call(Topics.alarms.query.journal, { ...q, partition })),
    );
    const answered = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value as JournalEvent[]] : []));
    if (answered.length === 0) throw (settled[0] as PromiseRejectedResult).reason;
    const failed = new Map(
      settled.flatMap((r, i) => (r.status === 'rejected' ? [[asked[i], (r.reason as Error).message]] : [])),
    );
    const missing = partitions.flatMap((partition) =>
      !asked.includes(partition)
        ? [{ partition, reason: offlineReason(partition) }]
        : failed.has(partition)
          ? [{ partition, reason: failed.get(partition)! }]
          : [],
    );
    const events = answered.flat();
    events.sort((a, b) => b.ts - a.ts || (b.seq ?? 0) - (a.seq ?? 0));
    return { events: events.slice(0, q.limit ?? JOURNAL_DEFAULT_LIMIT), missing };
  }

  /** An ack of alarms of several partitions goes as one command to each owner, audited as one action. */
  ack(by: AlarmActor, cmd: Command<AckCommand>): Promise<unknown> {
    const groups = new Map<string, string[]>();
    for (const id of cmd.alarmIds) {
      const owner = this.ownership.partitions.length ? this.ownership.ownerOfAlarm(id) : '';
      groups.set(owner, [...(groups.get(owner) ?? []), id]);
    }
    const data = (alarmIds: string[]) => ({
      alarmIds,
      comment: cmd.comment,
      user: by.user.name,
      origin: by.origin,
    });
    return auditedAction(this.audit, by, cmd.alarmIds.join(','), async () => {
      if (groups.size === 1) {
        const [[owner, ids]] = groups;
        return this.callOwner(owner, Topics.alarms.cmd.ack, data(ids));
      }
      // each owner answers for its alarms; refused as a whole only when every part is
      const parts = [...groups];
      const settled = await Promise.allSettled(
        parts.map(([owner, ids]) => this.callOwner(owner, Topics.alarms.cmd.ack, data(ids))),
      );
      const done = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value].flat() : []));
      if (done.length === 0) throw (settled[0] as PromiseRejectedResult).reason;
      // a part whose owner refused or did not answer: one result per alarm of it, saying why
      const failed = settled.flatMap((r, i) =>
        r.status === 'rejected'
          ? parts[i][1].map((alarmId) => ({ alarmId, ok: false, error: String((r.reason as Error).message) }))
          : [],
      );
      return [...done, ...failed];
    });
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
    const owner = this.ownership.partitions.length ? this.ownership.ownerOfAlarm(target) : '';
    return auditedAction(this.audit, by, target, () => this.callOwner(owner, pattern, data));
  }

  /**
   * A request only `owner` answers (a command on its alarm, a query naming it). When that
   * partition's health says offline (its last will, a stop) it is refused at once, not sent:
   * the shift learns in a moment, not after the 5 s timeout, that e.g. an ack did not happen.
   * Commands go at QoS 0, so nothing is left queued to run later when the partition returns.
   */
  private callOwner(owner: string, pattern: string, data: unknown): Promise<unknown> {
    if (owner && this.offline(owner))
      return Promise.reject(new ServiceUnavailableException(`${offlineReason(owner)}: not sent`));
    return this.call(pattern, data);
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
