import { MAX_PDU, MbapFramer, mbapReply } from './mbap-framer';

/** An MBAP request frame: transaction id, protocol 0, length, unit, PDU. */
const frame = (tid: number, unit: number, pdu: number[]): Buffer =>
  Buffer.from([tid >> 8, tid & 0xff, 0, 0, 0, pdu.length + 1, unit, ...pdu]);
const read = (tid: number, unit: number) => frame(tid, unit, [3, 0, 16, 0, 10]);

describe('MbapFramer', () => {
  it('cuts one request, keeping transaction id, unit and PDU', () => {
    const out = new MbapFramer().push(read(0x1234, 7));
    expect(out).toEqual([{ transactionId: 0x1234, unit: 7, pdu: Buffer.from([3, 0, 16, 0, 10]) }]);
  });

  it('joins a request split over packets, byte by byte', () => {
    const f = new MbapFramer();
    const bytes = read(1, 2);
    for (let i = 0; i < bytes.length - 1; i++) expect(f.push(bytes.subarray(i, i + 1))).toEqual([]);
    expect(f.pending).toBe(bytes.length - 1);
    const out = f.push(bytes.subarray(bytes.length - 1));
    expect(out).toHaveLength(1);
    expect(f.pending).toBe(0);
  });

  it('splits requests merged in one packet, a partial third kept for the next', () => {
    const f = new MbapFramer();
    const third = read(3, 1);
    const out = f.push(Buffer.concat([read(1, 1), read(2, 2), third.subarray(0, 4)]));
    expect(out !== 'bad' && out.map((r) => r.transactionId)).toEqual([1, 2]);
    expect(f.push(third.subarray(4))).toMatchObject([{ transactionId: 3 }]);
  });

  it('a PDU it returns is its own copy (a slow device answers after the packet is reused)', () => {
    const packet = read(1, 1);
    const out = new MbapFramer().push(packet) as { pdu: Buffer }[];
    packet.fill(0);
    expect(out[0].pdu[0]).toBe(3);
  });

  it('the largest PDU Modbus allows passes; one byte more, a short length or a protocol id other than 0 is bad', () => {
    expect(new MbapFramer().push(frame(1, 1, new Array(MAX_PDU).fill(16)))).toHaveLength(1);
    // the length field alone decides: bad before the rest of the frame arrives
    expect(new MbapFramer().push(Buffer.from([0, 1, 0, 0, (MAX_PDU + 2) >> 8, (MAX_PDU + 2) & 0xff]))).toBe(
      'bad',
    );
    expect(new MbapFramer().push(Buffer.from([0, 1, 0, 0, 0, 1, 1]))).toBe('bad');
    expect(new MbapFramer().push(Buffer.from([0, 1, 0, 1, 0, 6, 1, 3, 0, 0, 0, 1]))).toBe('bad');
  });

  it('mbapReply frames a PDU for the request it answers', () => {
    expect([...mbapReply(0xabcd, 9, Buffer.from([3, 2, 0, 5]))]).toEqual([
      0xab, 0xcd, 0, 0, 0, 5, 9, 3, 2, 0, 5,
    ]);
  });
});
