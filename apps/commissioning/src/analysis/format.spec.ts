import { formatPct, formatSci, formatVolts } from './format';

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
});
