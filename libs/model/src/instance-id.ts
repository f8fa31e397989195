/**
 * An instance id names one of several processes of a scaled-out service (intake, historian):
 * it ends their MQTT client ids, their health topics and their spool and dead-letter file
 * names, so it must be safe in all three (no / + # or dots, which could climb out of a path).
 */
export const INSTANCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/;
export const INSTANCE_RULE = 'letters, digits, "_" and "-", at most 16, starting with a letter or digit';
