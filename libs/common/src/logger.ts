import type { LoggerService, LogLevel } from '@nestjs/common';

/** What a service logs through: one line per event. Tests pass a quiet or recording one. */
export interface ServiceLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * The one logger of every service: `<ISO time> <service>: <message>`, warnings with `WARN `
 * before the message (stdout), errors with `ERROR ` (stderr). The service name comes once, from
 * here (not in the message), so lines stay readable when the demo runs all services in one
 * process, and tests and operators can wait for `<service>: <message>`.
 */
export function serviceLogger(service: string): ServiceLogger {
  const line = (m: string) => `${new Date().toISOString()} ${service}: ${m}\n`;
  return {
    log: (m) => process.stdout.write(line(m)),
    warn: (m) => process.stdout.write(line(`WARN ${m}`)),
    error: (m) => process.stderr.write(line(`ERROR ${m}`)),
  };
}

/**
 * Nest's own lines (application start, module init, errors Nest catches) through the service's
 * logger: `NestFactory.create(module, { logger: nestLogger('api') })`. Only the levels given are
 * written (the services keep log, warn and error, as before); debug and verbose go to log. Nest's
 * context (e.g. InstanceLoader) comes after the service name in brackets. Nest keeps one logger
 * per process: in the demo, Nest's lines carry the name of the last application created.
 */
export function nestLogger(service: string, levels: LogLevel[] = ['log', 'warn', 'error']): LoggerService {
  const out = serviceLogger(service);
  const on = new Set<LogLevel>(levels);
  const text = (message: unknown, rest: unknown[]) => {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const body =
      typeof message === 'string'
        ? message
        : message instanceof Error
          ? (message.stack ?? message.message)
          : JSON.stringify(message);
    return context ? `[${context}] ${body}` : body;
  };
  return {
    log: (m, ...rest) => on.has('log') && out.log(text(m, rest)),
    warn: (m, ...rest) => on.has('warn') && out.warn(text(m, rest)),
    error: (m, ...rest) => {
      if (!on.has('error')) return;
      // Nest passes (message, stack, context) for errors
      const stack = rest.length >= 2 && typeof rest[0] === 'string' ? `\n${rest[0]}` : '';
      out.error(`${text(m, rest.length >= 2 ? rest.slice(1) : rest)}${stack}`);
    },
    debug: (m, ...rest) => on.has('debug') && out.log(text(m, rest)),
    verbose: (m, ...rest) => on.has('verbose') && out.log(text(m, rest)),
  };
}
