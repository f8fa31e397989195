import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@cicenns/contracts';
import { HttpException } from '@nestjs/common';
import { AuditLog } from '../audit/audit-log';
import { RpcError, RpcUnavailable, type BusRpc } from '@cicenns/bus';
import { CalibrationsController, CommissioningController } from './commissioning.controller';
import { CommissioningService, type CommissioningActor } from './commissioning.service';
import { findRoute, routeTable } from '../http/route-table';
import { reportFileName } from './report-response';

/** A BusRpc that answers from a function of (pattern, data) and records what was sent. */
function rpcAnswering(answer: (pattern: string, data: unknown) => unknown) {
  const sent: { pattern: string; data: unknown }[] = [];
  const rpc = {
    request: async (pattern: string, data: unknown) => {
      sent.push({ pattern, data });
      return answer(pattern, data);
    },
  } as unknown as BusRpc;
  return { rpc, sent };
}

const expert: CommissioningActor = {
  user: { name: 'erin', role: 'expert', via: 'session' },
  origin: '10.0.0.7',
  action: 'commissioning.start',
  params: { target: 'CsI01' },
};

async function status(p: Promise<unknown>): Promise<[number, string]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HttpException) return [e.getStatus(), e.message];
    throw e;
  }
  return [200, ''];
}

describe('CommissioningService', () => {
  let dir: string;
  let audit: AuditLog;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cicenns-comm-'));
    audit = new AuditLog(join(dir, 'audit.db'));
  });
  afterEach(() => {
    audit.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forwards a start with who and from where, and audits it with the run', async () => {
    const { rpc, sent } = rpcAnswering(() => ({ runId: 'r1', state: 'running', counts: { passed: 0 } }));
    const svc = new CommissioningService(rpc, audit);
    await svc.start(expert, { target: ['CsI01', 'CsI02'], confirmations: [{ item: 'cables', by: 'tom' }] });
    expect(sent).toEqual([
      {
        pattern: Topics.commissioning.cmd.start,
        data: {
          target: ['CsI01', 'CsI02'],
          confirmations: [{ item: 'cables', by: 'tom' }],
          user: 'erin',
          origin: '10.0.0.7',
        },
      },
    ]);
    const [entry] = audit.list({ limit: 10, action: 'commissioning.start' });
    expect(entry).toMatchObject({ user: 'erin', role: 'expert', origin: '10.0.0.7', target: 'CsI01,CsI02' });
    expect(entry.outcome).toBe('ok');
    expect(entry.detail).toContain('"runId":"r1"');
  });

  it('says 503 with the reason when the service does not answer, 404/409 for its refusals', async () => {
    const svc = (fail: Error) =>
      new CommissioningService(
        rpcAnswering(() => {
          throw fail;
        }).rpc,
        audit,
      );
    expect(
      await status(svc(new RpcUnavailable('the commissioning service did not answer within 10 s')).runs()),
    ).toEqual([503, 'the commissioning service did not answer within 10 s']);
    expect(await status(svc(new RpcError('no run "x"')).run('x'))).toEqual([
      404,
      'the commissioning service: no run "x"',
    ]);
    const [code, msg] = await status(
      svc(new RpcError('CsI01-A is in run r1')).start(expert, { target: 'CsI01-A' }),
    );
    expect([code, msg]).toEqual([409, 'the commissioning service: CsI01-A is in run r1']);
    // a refusal is not audited here as done (the AuditFilter records it as refused)
    expect(audit.list({ limit: 10 })).toEqual([]);
  });

  it('takes {ok: false, error} answers as refusals', async () => {
    const svc = new CommissioningService(
      rpcAnswering(() => ({ ok: false, error: 'run r1 has finished' })).rpc,
      audit,
    );
    expect(await status(svc.control(expert, 'pause', { runId: 'r1' }))).toEqual([
      409,
      'the commissioning service: run r1 has finished',
    ]);
  });

  it('passes on a report answered as text or as {content}, not without one', async () => {
    const answers: unknown[] = [
      '<html>a</html>',
      { runId: 'r1', format: 'md', content: '# r1' },
      { bytes: 3 },
    ];
    const svc = new CommissioningService(rpcAnswering(() => answers.shift()).rpc, audit);
    expect(await svc.report('r1', 'html')).toEqual({
      runId: 'r1',
      format: 'html',
      content: '<html>a</html>',
    });
    expect((await svc.report('r1', 'md')).content).toBe('# r1');
    expect((await status(svc.report('r1', 'md')))[0]).toBe(502);
  });

  it('names report files without the characters a file name may not hold', () => {
    expect(reportFileName('2026-05-01T10:00:00.CsI01', 'html')).toBe(
      'commissioning-2026-05-01T10-00-00.CsI01.html',
    );
  });
});

describe('commissioning routes', () => {
  const routes = routeTable([CommissioningController, CalibrationsController]);

  it('lets experts act and everyone logged in watch; every action audited', () => {
    for (const a of ['pause', 'resume', 'abort', 'confirm', 'approve', 'reject'])
      expect(findRoute(routes, 'POST', `/api/commissioning/runs/r1/${a}`)).toMatchObject({
        need: 'expert',
        audit: `commissioning.${a}`,
      });
    expect(findRoute(routes, 'POST', '/api/commissioning/runs')).toMatchObject({
      need: 'expert',
      audit: 'commissioning.start',
    });
    for (const p of ['procedures', 'runs', 'runs/r1', 'runs/r1/report', 'reports'])
      expect(findRoute(routes, 'GET', `/api/commissioning/${p}`)).toMatchObject({ need: 'viewer' });
    expect(findRoute(routes, 'GET', '/api/pmts/CsI01-A/calibrations')).toMatchObject({ need: 'viewer' });
  });
});
