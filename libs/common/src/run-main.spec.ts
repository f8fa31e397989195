import { installFaultHandlers, processFaults } from './run-main';

describe('process-level faults', () => {
  const lines: string[] = [];
  const exits: number[] = [];
  let handlers: ReturnType<typeof installFaultHandlers>;
  beforeAll(() => {
    handlers = installFaultHandlers(
      'svc',
      (l) => lines.push(l),
      (c) => exits.push(c),
    );
  });
  afterAll(() => {
    process.off('unhandledRejection', handlers.onRejection);
    process.off('uncaughtException', handlers.onException);
  });

  it('an unhandled rejection is logged (rate-limited) and counted; the service goes on', () => {
    const before = processFaults.unhandledRejections;
    for (let i = 0; i < 100; i++) handlers.onRejection(new Error(`step ${i} failed`));
    expect(processFaults.unhandledRejections - before).toBe(100);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^svc: unhandled rejection \(service goes on\): Error: step 0 failed/);
    expect(exits).toEqual([]);
  });

  it('an uncaught exception is fatal: logged with the service name, exit 1', () => {
    handlers.onException(new TypeError('state is broken'));
    expect(lines.at(-1)).toMatch(/^svc: fatal: uncaught exception: TypeError: state is broken/);
    expect(exits).toEqual([1]);
  });
});
