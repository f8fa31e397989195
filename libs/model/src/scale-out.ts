import { z } from 'zod';
import { ConfigError } from './config-error';
import { alarmPartitionSchema } from './alarm-partitions';

import { INSTANCE_PATTERN, INSTANCE_RULE } from './instance-id';

export { INSTANCE_PATTERN } from './instance-id';
/** An MQTT 5 share name is one topic level: no / + # (MQTT 5, 4.8.2). */
const SHARE_GROUP_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** MQTT 5's largest session expiry: 0xFFFFFFFF means the session never expires. */
export const SESSION_NEVER_EXPIRES = 0xffffffff;

/**
 * Several intakes and historians splitting the load through MQTT 5 shared subscriptions
 * ($share/<group>/<topic>, docs/DEPLOY-SCALE.md). With no instance (the default) a service is
 * the single one, exactly as before: fixed client id, MQTT 3.1.1, a plain subscription.
 */
export const scaleOutSchema = z
  .object({
    /**
     * This process's instance id (environment CICENNS_INSTANCE, since instances on one box
     * share a file); '' = the single instance. Must stay the same across restarts: the broker
     * keeps an instance's share of the messages in that instance's session.
     */
    instance: z.union([z.literal(''), z.string().regex(INSTANCE_PATTERN, INSTANCE_RULE)]).default(''),
    /** share groups are `<shareGroup>-intake` and `<shareGroup>-historian`; '' = mqtt.clientIdPrefix */
    shareGroup: z
      .union([
        z.literal(''),
        z
          .string()
          .regex(SHARE_GROUP_PATTERN, 'one MQTT topic level: letters, digits, "_", "." and "-", at most 64'),
      ])
      .default(''),
    /**
     * How long the broker keeps an instance's session (MQTT 5 session expiry) while it is away:
     * its share of the messages waits there for it. 4294967295: never (as a 3.1.1 session).
     */
    sessionExpirySeconds: z
      .number()
      .int()
      .min(1)
      .max(SESSION_NEVER_EXPIRES)
      .default(7 * 24 * 3600),
    /** the alarm service split by devices (alarm-partitions.ts); {} = one alarm service */
    // the keys are the instance ids of the alarm processes (checked in alarmOwnership)
    alarmPartitions: z.record(z.string(), alarmPartitionSchema).default({}),
  })
  .strict()
  .prefault({});
export type ScaleOutConfig = z.infer<typeof scaleOutSchema>;

/** CICENNS_INSTANCE overrides scaleOut.instance, checked like it (a bad one names the variable). */
export function applyInstanceEnv(scaleOut: ScaleOutConfig, env: NodeJS.ProcessEnv): void {
  const value = env.CICENNS_INSTANCE;
  if (value === undefined) return;
  if (value !== '' && !INSTANCE_PATTERN.test(value))
    throw new ConfigError('environment', 'CICENNS_INSTANCE', `"${value.slice(0, 40)}": ${INSTANCE_RULE}`);
  scaleOut.instance = value;
}

/**
 * The share group of a service, checked: derived from mqtt.clientIdPrefix it must still be one
 * topic level (a prefix with "/" or "+" is a fine client id but no share name).
 */
export function shareGroupOf(scaleOut: ScaleOutConfig, clientIdPrefix: string, service: string): string {
  return `${scaleOut.shareGroup || clientIdPrefix}-${service}`;
}

/** Check the derived share group names of an instance (at load: a bad one stops start-up, named). */
export function checkShareGroup(file: string, scaleOut: ScaleOutConfig, clientIdPrefix: string): void {
  if (!scaleOut.instance || scaleOut.shareGroup || SHARE_GROUP_PATTERN.test(clientIdPrefix)) return;
  throw new ConfigError(
    file,
    'scaleOut.shareGroup',
    `empty, so the share groups would be named after mqtt.clientIdPrefix "${clientIdPrefix.slice(0, 40)}", which is not one MQTT topic level: set scaleOut.shareGroup`,
  );
}

/** A file of one instance: var/historian-spool.db -> var/historian-spool-2.db. */
export function instancePath(path: string, instance: string): string {
  if (!instance || path === ':memory:') return path;
  const m = /^(.*?)(\.[A-Za-z0-9]+)?$/.exec(path.slice(path.lastIndexOf('/') + 1))!;
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  return `${dir}${m[1]}-${instance}${m[2] ?? ''}`;
}
