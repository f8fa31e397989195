import { crcOk, withCrc } from './crc16';
import { answerPdu } from './pdu';
import type { SlaveSet } from './slave-set';

/**
 * Cuts a TCP byte stream into Modbus RTU request frames. Over TCP there are no 3.5-character
 * silences to mark frame ends, so the length comes from the function code; a request may
 * arrive split over several packets, or several in one.
 */
export class RtuFramer {
  private buf = Buffer.alloc(0);
  private lastDataMs = 0;
  badFrames = 0;

  constructor(
    /** a partial frame older than this is line noise: drop it (the RTU inter-frame gap) */
    private readonly staleMs = 1000,
  ) {}

  /**
   * Add received bytes; returns the complete frames with a good CRC. A bad CRC means we lost
   * the frame boundaries: the rest of the buffer is dropped (a real slave stays silent too).
   */
  push(data: Buffer, nowMs = Date.now()): Buffer[] {
    if (this.buf.length && nowMs - this.lastDataMs > this.staleMs) this.buf = Buffer.alloc(0);
    this.lastDataMs = nowMs;
    this.buf = Buffer.concat([this.buf, data]);
    const frames: Buffer[] = [];
    for (;;) {
      const need = requestLength(this.buf);
      if (need === undefined || this.buf.length < need) break;
      const frame = Buffer.from(this.buf.subarray(0, need));
      this.buf = this.buf.subarray(need);
      if (!crcOk(frame)) {
        this.badFrames++;
        this.buf = Buffer.alloc(0);
        break;
      }
      frames.push(frame);
    }
    return frames;
  }

  get pending(): number {
    return this.buf.length;
  }
}

/** Length of the request at the start of buf, or undefined while the header is incomplete. */
export function requestLength(buf: Buffer): number | undefined {
  if (buf.length < 2) return undefined;
  switch (buf[1]) {
    case 3:
    case 4:
    case 6:
      return 8;
    case 16:
      return buf.length < 7 ? undefined : 9 + buf[6];
    default:
      // Unknown function: we cannot know its length; take what arrived as one frame.
      return buf.length;
  }
}

/**
 * Answer one RTU request frame (with CRC). Returns null when a real slave stays quiet:
 * bad CRC, or a unit id nobody on this line has.
 */
export function handleRtuRequest(frame: Buffer, slaves: SlaveSet): Buffer | null {
  if (!crcOk(frame)) return null;
  const unit = frame[0];
  if (!slaves.hasUnit(unit)) return null;
  const reply = answerPdu(unit, frame.subarray(1, frame.length - 2), slaves);
  return withCrc(Buffer.concat([Buffer.from([unit]), reply]));
}

/** Spoil a reply the way a flaky serial line does: alternately a wrong byte count or a bad CRC. */
export function corruptRtuReply(reply: Buffer, variant: number): Buffer {
  const out = Buffer.from(reply);
  if (variant % 2 === 0 && (out[1] === 3 || out[1] === 4) && out.length > 5) {
    out[2] = (out[2] + 2) & 0xff; // claims two bytes more than it carries
    return withCrc(out.subarray(0, out.length - 2));
  }
  out[out.length - 1] ^= 0x5a;
  return out;
}
