import { decodeRaw, decodeValue, encodeRaw, encodeValue } from './codec';
import type { RegisterSpec } from '@cicenns/model';

const spec = (s: Partial<RegisterSpec>): RegisterSpec => ({
  offset: 0,
  type: 'float32',
  table: 'holding',
  access: 'r',
  scale: 1,
  add: 0,
  invalidRaw: [],
  ...s,
});

describe('register codec', () => {
  // 1400.5 as IEEE-754 float is 0x44AF1000: A=44 B=AF C=10 D=00
  it.each([
    ['ABCD', [0x44af, 0x1000]],
    ['CDAB', [0x1000, 0x44af]],
    ['BADC', [0xaf44, 0x0010]],
    ['DCBA', [0x0010, 0xaf44]],
  ] as const)('float32 in %s word order', (order, words) => {
    expect(decodeRaw(words, 'float32', order)).toBe(1400.5);
    expect(encodeRaw(1400.5, 'float32', order)).toEqual(words);
  });

  it('decodes in place from an offset into a reply as from a copy of those words', () => {
    const reply = [7, 0x1000, 0x44af, 0xfffe, 0xffff, 0x8000];
    for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const) {
      for (const type of ['float32', 'int32', 'uint32', 'int16', 'uint16'] as const) {
        for (let at = 0; at <= reply.length; at++) {
          const s = spec({ type, invalidRaw: [-32768] });
          expect(decodeValue(s, reply, order, at)).toEqual(decodeValue(s, reply.slice(at, at + 2), order));
        }
      }
    }
    expect(decodeValue(spec({}), reply, 'ABCD', 5).error).toBe('short reply: 2 registers needed, 1 received');
  });

  it('int32 and uint32 in CDAB', () => {
    expect(decodeRaw([0xfffe, 0xffff], 'int32', 'CDAB')).toBe(-2);
    expect(decodeRaw([0x0001, 0x8000], 'uint32', 'CDAB')).toBe(0x80000001);
    expect(encodeRaw(-2, 'int32', 'CDAB')).toEqual([0xfffe, 0xffff]);
  });

  it('int16 x 0.1 with 0x8000 meaning sensor open', () => {
    const t = spec({ type: 'int16', scale: 0.1, invalidRaw: [-32768] });
    expect(decodeValue(t, [0xff9c], 'ABCD').value).toBeCloseTo(-10.0);
    expect(decodeValue(t, [223], 'ABCD').value).toBeCloseTo(22.3);
    expect(decodeValue(t, [0x8000], 'ABCD')).toEqual({ value: null, raw: -32768 });
    expect(encodeValue(t, 22.3, 'ABCD')).toEqual([223]);
    expect(() => encodeValue(t, 4000, 'ABCD')).toThrow(RangeError);
  });

  it('a register spec may override the profile word order', () => {
    const s = spec({ wordOrder: 'CDAB' });
    expect(decodeValue(s, [0x1000, 0x44af], 'ABCD').value).toBe(1400.5);
  });

  it('NaN floats are not valid values', () => {
    expect(decodeValue(spec({}), [0x7fc0, 0x0000], 'ABCD').value).toBeNull();
  });
});
