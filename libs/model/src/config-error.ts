/** A configuration problem: start-up stops and says which file, where in it, and why. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${path || '(root)'}: ${reason}`);
    this.name = 'ConfigError';
  }
}

/** Format a path array the way a person reads it: devices[2].transport.port */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}
