import { Topics } from '@cicenns/contracts';
import { alarmOwnershipOf, checkAlarmInstance, type SystemConfig } from '@cicenns/model';

const COMMAND_TOPICS = new Set<string>(Object.values(Topics.alarms.cmd));

/**
 * The alarm partition this process owns (scaleOut.alarmPartitions, its id = CICENNS_INSTANCE),
 * checked: with partitions set it must be one of them. Without partitions the alarm service is
 * the single one ('') whatever the instance says (that names an intake's or historian's share).
 */
export function alarmInstance(cfg: SystemConfig): string {
  const ownership = alarmOwnershipOf(cfg);
  if (ownership.partitions.length === 0) return '';
  checkAlarmInstance(cfg.file, ownership, cfg.app.scaleOut.instance);
  return cfg.app.scaleOut.instance;
}

/** A client id suffix of this alarm instance: alarms -> alarms-b (the single one: alarms). */
export function alarmsClientId(suffix: string, cfg: SystemConfig): string {
  const instance = alarmInstance(cfg);
  return instance ? `${suffix}-${instance}` : suffix;
}

/**
 * Which requests this alarm instance answers, on the one request topic every instance
 * subscribes to: a command by the owner of its (first) alarm id (the API sends an ack of
 * several partitions' alarms as one command per partition), a query by the partition it names
 * (`partition`, the API asks each and merges), else by the system partition. Exactly one
 * answers, so the caller never gets two. Single instance: everything.
 */
export function answersRequest(cfg: SystemConfig): (topic: string, data: unknown) => boolean {
  const instance = alarmInstance(cfg);
  const ownership = alarmOwnershipOf(cfg);
  if (ownership.partitions.length === 0) return () => true;
  return (topic, data) => {
    const d = (data ?? {}) as { alarmId?: unknown; alarmIds?: unknown; partition?: unknown };
    if (!COMMAND_TOPICS.has(topic) && typeof d.partition === 'string') return d.partition === instance;
    const first =
      typeof d.alarmId === 'string' ? d.alarmId : Array.isArray(d.alarmIds) ? d.alarmIds[0] : undefined;
    // a query, or a command without a readable id: the system instance answers (or refuses it)
    if (typeof first !== 'string' || !COMMAND_TOPICS.has(topic)) return instance === ownership.system;
    return ownership.ownerOfAlarm(first) === instance;
  };
}
