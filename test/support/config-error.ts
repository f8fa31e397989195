import { ConfigError } from '@cicenns/model';

/** The ConfigError that `fn` throws (any other error is rethrown; none fails the test). */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
