import { alarmOwnershipOf, checkAlarmInstance, type SystemConfig } from '@cicenns/model';

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
