import type { RegisterSpec } from '@cicenns/model';

export type WordOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';
export type ValueType = RegisterSpec['type'];

/** How many 16-bit registers a value of this type occupies. */
export function registerCount(type: ValueType): number {
  return type === 'uint16' || type === 'int16' ? 1 : 2;
}

/**
 * Put two registers, as they came off the wire, into ABCD (big-endian) byte order.
 * A = most significant byte. CDAB swaps words, BADC swaps bytes in each word, DCBA both.
 */
// One scratch buffer for all conversions: decoding runs for every register of every sweep, and
// allocating a Buffer per 32-bit value was the poller's largest per-sweep cost.
const scratch = Buffer.alloc(4);

function toBigEndian(words: readonly number[], order: WordOrder, at: number): Buffer {
  const swap = order === 'CDAB' || order === 'DCBA';
  const first = swap ? words[at + 1] : words[at];
  const second = swap ? words[at] : words[at + 1];
  scratch.writeUInt16BE(first & 0xffff, 0);
  scratch.writeUInt16BE(second & 0xffff, 2);
  if (order === 'BADC' || order === 'DCBA') scratch.swap16();
  return scratch;
}

function fromBigEndian(b: Buffer, order: WordOrder): number[] {
  if (order === 'BADC' || order === 'DCBA') b.swap16();
  const w = [b.readUInt16BE(0), b.readUInt16BE(2)];
  return order === 'CDAB' || order === 'DCBA' ? [w[1], w[0]] : w;
}

/** Raw (unscaled) value of the registers from words[at]. */
export function decodeRaw(words: readonly number[], type: ValueType, order: WordOrder, at = 0): number {
  switch (type) {
    case 'uint16':
      return words[at] & 0xffff;
    case 'int16':
      return ((words[at] & 0xffff) << 16) >> 16;
    case 'uint32':
      return toBigEndian(words, order, at).readUInt32BE(0);
    case 'int32':
      return toBigEndian(words, order, at).readInt32BE(0);
    case 'float32':
      return toBigEndian(words, order, at).readFloatBE(0);
  }
}

export function encodeRaw(raw: number, type: ValueType, order: WordOrder): number[] {
  const b = scratch;
  switch (type) {
    case 'uint16':
      return [raw & 0xffff];
    case 'int16':
      return [raw & 0xffff];
    case 'uint32':
      b.writeUInt32BE(raw >>> 0, 0);
      break;
    case 'int32':
      b.writeInt32BE(raw | 0, 0);
      break;
    case 'float32':
      b.writeFloatBE(raw, 0);
      break;
  }
  return fromBigEndian(b, order);
}

export interface DecodedValue {
  /** engineering value, null when the raw value is one of the spec's "invalid" markers or unusable */
  value: number | null;
  raw: number;
  /** why there is no value, when the reply itself was unusable (short, or not 16-bit words) */
  error?: string;
}

/**
 * Decode one value from the registers of a reply, starting at words[at] (a poller decodes a
 * block's values in place rather than slicing a copy per value). Never throws: a reply too short for the type,
 * a word that is not a 16-bit register value, a NaN/Infinity float or a scaled value beyond
 * the double range gives value null and (for the reply's faults) the reason.
 */
export function decodeValue(
  spec: RegisterSpec,
  words: readonly number[],
  profileOrder: WordOrder,
  at = 0,
): DecodedValue {
  const n = registerCount(spec.type);
  const available = Math.max(0, words.length - at);
  if (available < n) {
    return { value: null, raw: NaN, error: `short reply: ${n} registers needed, ${available} received` };
  }
  for (let i = 0; i < n; i++) {
    const w = words[at + i];
    if (!Number.isInteger(w) || w < 0 || w > 0xffff) {
      return { value: null, raw: NaN, error: `register value ${String(w)} is not a 16-bit word` };
    }
  }
  const raw = decodeRaw(words, spec.type, spec.wordOrder ?? profileOrder, at);
  if (spec.invalidRaw.includes(raw) || !Number.isFinite(raw)) return { value: null, raw };
  const value = raw * spec.scale + spec.add;
  if (!Number.isFinite(value)) return { value: null, raw, error: `raw ${raw} scaled is out of range` };
  return { value, raw };
}

/** Registers for an engineering value; integers are rounded and range-checked. */
export function encodeValue(spec: RegisterSpec, value: number, profileOrder: WordOrder): number[] {
  const raw = (value - spec.add) / spec.scale;
  if (spec.type !== 'float32') {
    const r = Math.round(raw);
    const [min, max] = INT_RANGE[spec.type];
    if (r < min || r > max)
      throw new RangeError(`${value} does not fit ${spec.type} with scale ${spec.scale}`);
    return encodeRaw(r, spec.type, spec.wordOrder ?? profileOrder);
  }
  return encodeRaw(raw, spec.type, spec.wordOrder ?? profileOrder);
}

const INT_RANGE: Record<Exclude<ValueType, 'float32'>, [number, number]> = {
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
};
