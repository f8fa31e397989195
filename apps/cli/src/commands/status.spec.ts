import type { ApiClient } from '../client';
import { commissioningLine, status } from './status';

const pmt = (id: string, commissioned?: boolean) => ({
  id,
  vmon: { value: 1400, quality: 'good' },
  status: { flags: ['on'] },
  ...(commissioned !== undefined && { commissioned }),
});

describe('cicenns status: tubes not commissioned', () => {
  it('prints the API summary: how many of how many, as runs', async () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s) => {
      written.push(String(s));
      return true;
    });
    const health = {
      status: 'ok',
      services: { poller: { state: 'running', ageMs: 100 } },
      commissioning: {
        pmts: 94,
        notCommissioned: 92,
        notCommissionedRanges: 'CsI01-A..CsI14-B, PSV01-A..PSV32-B',
      },
    };
    const answers: Record<string, unknown> = {
      '/api/health': health,
      '/api/pmts?limit=1000&offset=0': [pmt('CsI15-A', true), pmt('CsI15-B', true), pmt('CsI01-A', false)],
      '/api/alarms': [],
    };
    const api = { url: 'http://x', get: async (path: string) => answers[path] } as unknown as ApiClient;
    try {
      expect(await status(api, false)).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toContain(
      '  not commissioned: 92 of 94 (CsI01-A..CsI14-B, PSV01-A..PSV32-B): datasheet figures, not judged by the calibration alarms\n',
    );
  });

  it('says when every tube is commissioned, and falls back to the PMT views of an API without the summary', () => {
    const health = { status: 'ok', services: {} };
    expect(
      commissioningLine(
        { ...health, commissioning: { pmts: 94, notCommissioned: 0, notCommissionedRanges: '' } },
        [],
      ),
    ).toBe('  all 94 commissioned');
    expect(commissioningLine(health, [pmt('CsI01-A', false), pmt('CsI01-B', true)])).toMatch(
      /^ {2}not commissioned: 1 of 2 \(CsI01-A\)/,
    );
    expect(commissioningLine(health, [pmt('CsI01-A')])).toBeUndefined();
  });
});
