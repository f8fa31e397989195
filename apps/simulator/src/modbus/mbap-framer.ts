/** One Modbus TCP request: MBAP transaction id and unit id, and the PDU (function code + data). */
export interface MbapRequest {
  transactionId: number;
  unit: number;
  pdu: Buffer;
}

/** MBAP header: transaction id (2), protocol id (2), length (2), unit id (1). */
export const MBAP_HEADER = 7;
/** The largest PDU Modbus allows (function code + 252 data bytes): the length field's bound is this + 1. */
export const MAX_PDU = 253;

/**
 * Cuts a Modbus TCP byte stream into requests by the MBAP length field; a request may arrive
 * split over several packets, or several in one. Input is bounded: a length field beyond what
 * Modbus allows (or below a function code), or a protocol id other than 0, means the stream
 * cannot be trusted; push() then returns 'bad' and the caller closes the socket. At most one
 * frame's worth of bytes (MBAP_HEADER + MAX_PDU) is ever held.
 */
export class MbapFramer {
  private buf: Buffer = Buffer.alloc(0);

  push(data: Buffer): MbapRequest[] | 'bad' {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const out: MbapRequest[] = [];
    let at = 0;
    while (this.buf.length - at >= 6) {
      const length = this.buf.readUInt16BE(at + 4); // unit id + PDU
      if (this.buf.readUInt16BE(at + 2) !== 0 || length < 2 || length > MAX_PDU + 1) return 'bad';
      if (this.buf.length - at < 6 + length) break;
      out.push({
        transactionId: this.buf.readUInt16BE(at),
        unit: this.buf[at + 6],
        // a copy: the request may outlive this packet (a slow device answers later)
        pdu: Buffer.from(this.buf.subarray(at + MBAP_HEADER, at + 6 + length)),
      });
      at += 6 + length;
    }
    this.buf = at === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(at));
    return out;
  }

  get pending(): number {
    return this.buf.length;
  }
}

/** MBAP-framed reply: the request's transaction id and unit, protocol 0. */
export function mbapReply(transactionId: number, unit: number, pdu: Buffer): Buffer {
  const out = Buffer.alloc(MBAP_HEADER + pdu.length);
  out.writeUInt16BE(transactionId, 0);
  out.writeUInt16BE(pdu.length + 1, 4);
  out[6] = unit;
  pdu.copy(out, MBAP_HEADER);
  return out;
}
