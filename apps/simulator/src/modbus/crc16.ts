/** Modbus RTU CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF); sent low byte first. */
export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc ^= buf[i];
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** The frame with its CRC appended. */
export function withCrc(frame: Buffer): Buffer {
  const out = Buffer.alloc(frame.length + 2);
  frame.copy(out);
  out.writeUInt16LE(crc16(frame), frame.length);
  return out;
}

export function crcOk(frame: Buffer): boolean {
  return frame.length >= 4 && crc16(frame, 0, frame.length - 2) === frame.readUInt16LE(frame.length - 2);
}
