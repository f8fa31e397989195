import { type ConnectionState, type Severity } from '@cicenns/contracts';
import type { RuleParams } from './alarm-config';
import { fmt, lazyMessage, type Verdict } from './verdict';

/** stale-<measurement>: nothing arrived for staleAfterPeriods expected periods. */
export function staleness(ageMs: number, periodMs: number, what: string, p: RuleParams<'stale'>): Verdict {
  const limit = p.staleAfterPeriods * periodMs;
  const stale = ageMs > limit;
  // judged every tick while stale: the message is written only when it is reported
  return lazyMessage(
    { severity: stale ? p.severity : undefined, value: ageMs / 1000, limit: limit / 1000, unit: 's' },
    () =>
      stale
        ? `no ${what} reading for ${fmt(ageMs / 1000)} s (expected every ${fmt(periodMs / 1000)} s)`
        : `${what} readings arrive`,
  );
}

/** daq-down: no message of any kind from the DAQ for silentAfterMs. */
export function daqDown(silentMs: number, p: RuleParams<'daq-down'>): Verdict {
  const silent = silentMs > p.silentAfterMs;
  return {
    severity: silent ? p.severity : undefined,
    value: silentMs / 1000,
    limit: p.silentAfterMs / 1000,
    unit: 's',
    message: silent ? `no message from the DAQ for ${fmt(silentMs / 1000)} s` : 'the DAQ publishes',
  };
}

/** device-down: the poller says a device stopped answering. */
export function deviceDown(
  conn: { state: ConnectionState; detail?: string; since?: number } | undefined,
  p: RuleParams<'device-down'>,
): Verdict {
  const down = conn?.state === 'down';
  return {
    severity: down ? p.severity : undefined,
    message: down ? `device does not answer${conn?.detail ? `: ${conn.detail}` : ''}` : 'device answers',
  };
}

/**
 * historian-backlog: readings waiting in the historian's spool (InfluxDB down or slow), by count
 * and by the age of the oldest. A raised level clears below clearFraction of its limit.
 */
export function historianBacklog(
  lines: number,
  oldestMs: number,
  p: RuleParams<'historian-backlog'>,
  prev: Severity | undefined,
): Verdict {
  const over = (value: number, limit: number, held: boolean) =>
    value > limit || (held && value > limit * p.clearFraction);
  const severity: Severity | undefined =
    over(lines, p.alarmLines, prev === 'alarm') || over(oldestMs, p.alarmAgeMs, prev === 'alarm')
      ? 'alarm'
      : over(lines, p.warnLines, prev !== undefined) || over(oldestMs, p.warnAgeMs, prev !== undefined)
        ? 'warning'
        : undefined;
  const limit = severity === 'alarm' ? p.alarmLines : p.warnLines;
  return {
    severity,
    value: lines,
    limit,
    unit: 'lines',
    message: `historian backlog ${lines} readings, oldest ${fmt(oldestMs / 1000)} s (limits ${limit} lines, ${fmt((severity === 'alarm' ? p.alarmAgeMs : p.warnAgeMs) / 1000)} s)`,
  };
}

/**
 * broker-drops: Mosquitto's count of dropped messages ($SYS/broker/publish/messages/dropped,
 * as the intake reports it) rose within the last clearAfterMs. Messages are lost in the broker
 * itself: a subscriber's queue hit max_queued_messages or max_queued_bytes.
 */
export function brokerDrops(
  dropped: { recent: number; total: number; sinceLastMs: number | undefined },
  p: RuleParams<'broker-drops'>,
): Verdict {
  const raised = dropped.sinceLastMs !== undefined && dropped.sinceLastMs < p.clearAfterMs;
  return {
    severity: raised ? p.severity : undefined,
    value: dropped.recent,
    unit: 'messages',
    message: raised
      ? `the MQTT broker dropped ${dropped.recent} messages (its total: ${dropped.total}), the last ${fmt((dropped.sinceLastMs ?? 0) / 1000)} s ago`
      : `the MQTT broker drops no messages (its total: ${dropped.total})`,
  };
}
