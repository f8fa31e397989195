import { isAbsolute, join } from 'node:path';
import type { AppConfigFile } from './schemas';

/** A path setting as written in a file: relative paths are relative to that file's directory. */
export function resolveConfigPath(baseDir: string, p: string): string {
  // ':memory:' is SQLite's in-memory database, not a file
  return isAbsolute(p) || p === ':memory:' ? p : join(baseDir, p);
}

/**
 * Every setting of cicenns.yaml that names a file or directory. The one list: a new path setting
 * added here is resolved like the others, and the test of this module fails for one left out.
 */
export const PATH_SETTINGS = [
  ['influx', 'spoolPath'],
  ['alarms', 'storePath'],
  ['auth', 'auditPath'],
  ['intake', 'deadLetterPath'],
  ['files', 'users'],
  ['files', 'detector'],
  ['files', 'calibration'],
  ['files', 'profilesDir'],
  ['files', 'alarms'],
  ['files', 'procedures'],
  ['commissioning', 'storePath'],
] as const;

/**
 * Resolve every path setting of the main file in place, against the directory of that file (as
 * cicenns.yaml says), so no service resolves one against its working directory.
 */
export function resolveAppPaths(app: AppConfigFile, baseDir: string): void {
  for (const [section, key] of PATH_SETTINGS) {
    const obj = app[section] as Record<string, string>;
    obj[key] = resolveConfigPath(baseDir, obj[key]);
  }
}
