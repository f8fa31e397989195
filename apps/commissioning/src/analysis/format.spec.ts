import { formatPct, formatSci, formatVolts, formatWithErr } from './format';

describe('format', () => {
  it('writes gains as 3.6e6 and moderate numbers plainly', () => {
    expect(formatSci(3.6e6)).toBe('3.6e6');
    expect(formatSci(1.4e7)).toBe('1.4e7');
    expect(formatSci(3.583e6)).toBe('3.58e6');
    expect(formatSci(2.5e-4)).toBe('2.5e-4');
    expect(formatSci(1623.4)).toBe('1620');
    expect(formatSci(7.27)).toBe('7.27');
    expect(formatSci(0)).toBe('0');
  });
  it('rounds a voltage to its error', () => {
    expect(formatVolts(1623.4, 12.2)).toBe('1623 ± 12 V');
    expect(formatVolts(1623.44, 0.31)).toBe('1623.4 ± 0.3 V');
    expect(formatVolts(1500)).toBe('1500 V');
    expect(formatPct(8.333)).toBe('8.3 %');
  });
  it('writes a value to its error', () => {
    expect(formatWithErr(7.1612, 0.2013)).toBe('7.16 ± 0.20');
    expect(formatWithErr(2900, 40)).toBe('2900 ± 40');
    expect(formatWithErr(2.988e6, 3.84e4)).toBe('2.988e6 ± 3.8e4');
    expect(formatWithErr(7.16, undefined)).toBe('7.16');
  });
});
