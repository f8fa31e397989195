/** What the poller logs through; the all-in-one demo may pass its own. */
export interface Logger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** One line per event, prefixed "poller:" so the lines stay readable when services share a console. */
export const consoleLogger: Logger = {
  log: (m) => process.stdout.write(`${new Date().toISOString()} poller: ${m}\n`),
  warn: (m) => process.stdout.write(`${new Date().toISOString()} poller: WARN ${m}\n`),
  error: (m) => process.stderr.write(`${new Date().toISOString()} poller: ERROR ${m}\n`),
};
