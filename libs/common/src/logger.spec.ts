import { nestLogger, serviceLogger } from './logger';

describe('serviceLogger', () => {
  const out: string[] = [];
  const err: string[] = [];
  beforeEach(() => {
    out.length = 0;
    err.length = 0;
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  });
  afterEach(() => jest.restoreAllMocks());

  it('writes `<ISO time> <service>: <message>`, warnings and errors marked', () => {
    const log = serviceLogger('svc');
    log.log('started');
    log.warn('slow');
    log.error('broken');
    expect(out).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z svc: started\n$/),
      expect.stringMatching(/Z svc: WARN slow\n$/),
    ]);
    expect(err).toEqual([expect.stringMatching(/Z svc: ERROR broken\n$/)]);
  });

  it("nestLogger: Nest's lines with their context, only the levels asked for", () => {
    const nest = nestLogger('svc', ['error', 'warn']);
    nest.log('Starting Nest application...', 'NestFactory');
    nest.warn('careful', 'RoutesResolver');
    nest.error('failed', 'Error: failed\n    at x', 'ExceptionsHandler');
    expect(out).toEqual([expect.stringMatching(/Z svc: WARN \[RoutesResolver\] careful\n$/)]);
    expect(err).toEqual([
      expect.stringMatching(/Z svc: ERROR \[ExceptionsHandler\] failed\nError: failed\n {4}at x\n$/),
    ]);
  });
});
