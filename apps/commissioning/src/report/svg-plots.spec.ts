import { dcrPoints, gainPoints } from '../../../../test/support/fixtures/commissioning/run-view';
import { xmlProblems } from '../../../../test/support/fixtures/commissioning/well-formed';
import { svgDcrScan, svgGainCurve, svgResiduals } from './svg-plots';

describe('svg plots', () => {
  const { points, fit } = gainPoints(1);

  it('draws the DCR scan on a log axis with one error bar and marker per point, well-formed', () => {
    const svg = svgDcrScan(dcrPoints(1), { title: 'CsI01-A <DCR>', markV: 1400 });
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg.match(/<circle /g)).toHaveLength(6);
    expect(svg).toContain('DCR (Hz)');
    expect(svg).toContain('CsI01-A &lt;DCR&gt;');
    // less than a decade: ticks at 2000, 3000, 4000 Hz, closer together upwards (log axis)
    const ys = [2000, 3000, 4000].map((t) =>
      Number(svg.match(new RegExp(`y="([\\d.]+)" text-anchor="end">${t}<`))?.[1]),
    );
    expect(ys[0] - ys[1]).toBeGreaterThan(1.2 * (ys[1] - ys[2]));
    expect(svg).toContain('>vOp<');
  });

  it('draws the gain curve log-log with the fitted line, the target gain and vOp', () => {
    const svg = svgGainCurve(points, fit);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg.match(/<circle /g)).toHaveLength(6);
    expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+( L[\d.]+ [\d.]+)+" fill="none" stroke="#a00"\/>/);
    expect(svg).toContain('target 3.6e6');
    expect(svg).toContain(`vOp ${Math.round(fit.vOp as number)} V`);
  });

  it('draws the gain points without a fit, and residuals with the ±2 sigma band', () => {
    expect(xmlProblems(svgGainCurve(points, undefined))).toEqual([]);
    const res = svgResiduals(points);
    expect(xmlProblems(res)).toEqual([]);
    expect(res.match(/<circle /g)).toHaveLength(6);
    expect(res.match(/stroke-dasharray="3 3"/g)).toHaveLength(2);
  });

  it('says so when there is nothing to draw, and skips unusable points', () => {
    for (const svg of [svgDcrScan([]), svgGainCurve([], undefined), svgResiduals([])]) {
      expect(xmlProblems(svg)).toEqual([]);
      expect(svg).toContain('no points');
    }
    const svg = svgDcrScan([
      { v: 1000, rateHz: 0 },
      { v: 1100, rateHz: 100, rateErrHz: 200 },
    ]);
    expect(svg.match(/<circle /g)).toHaveLength(1);
    expect(svg).not.toContain('NaN');
  });

  it('never writes NaN or Infinity coordinates, even for a single point', () => {
    for (const svg of [
      svgDcrScan([{ v: 1000, rateHz: 50, rateErrHz: 5 }]),
      svgGainCurve([{ v: 1000, gain: 1e6, gainErr: 1e4 }], undefined),
      svgResiduals([{ v: 1000, residual: 0.5 }]),
    ]) {
      expect(xmlProblems(svg)).toEqual([]);
      expect(svg).not.toMatch(/NaN|Infinity/);
    }
  });
});
