import { ExceptionCode, ModbusException } from './modbus-exception';
import type { SlaveSet } from './slave-set';

/**
 * Answer one request PDU (function code and data, no unit id, no MBAP or CRC) for a unit the
 * link has: the reply PDU, or an exception reply (function | 0x80, code). Shared by the Modbus TCP
 * gateway and the RTU-over-TCP line, which only frame it differently. The function codes the
 * poller uses: FC3/FC4 reads, FC6 and FC16 writes.
 */
export function answerPdu(unit: number, pdu: Buffer, slaves: SlaveSet): Buffer {
  const fc = pdu[0];
  try {
    switch (fc) {
      case 3:
      case 4: {
        if (pdu.length !== 5)
          throw new ModbusException(ExceptionCode.illegalDataValue, 'read request length');
        const words = slaves.read(
          unit,
          fc === 3 ? 'holding' : 'input',
          pdu.readUInt16BE(1),
          pdu.readUInt16BE(3),
        );
        const out = Buffer.alloc(2 + words.length * 2);
        out[0] = fc;
        out[1] = words.length * 2;
        for (let i = 0; i < words.length; i++) out.writeUInt16BE(words[i], 2 + i * 2);
        return out;
      }
      case 6:
        if (pdu.length !== 5)
          throw new ModbusException(ExceptionCode.illegalDataValue, 'write request length');
        slaves.write(unit, pdu.readUInt16BE(1), [pdu.readUInt16BE(3)]);
        return Buffer.from(pdu);
      case 16: {
        const count = pdu.length >= 6 ? pdu.readUInt16BE(3) : 0;
        if (count < 1 || count > 123 || pdu[5] !== count * 2 || pdu.length !== 6 + count * 2) {
          throw new ModbusException(ExceptionCode.illegalDataValue, 'byte count does not match');
        }
        const values = Array.from({ length: count }, (_, i) => pdu.readUInt16BE(6 + i * 2));
        slaves.write(unit, pdu.readUInt16BE(1), values);
        return Buffer.from(pdu.subarray(0, 5));
      }
      default:
        throw new ModbusException(ExceptionCode.illegalFunction, `function ${fc}`);
    }
  } catch (err) {
    return exceptionPdu(
      fc,
      err instanceof ModbusException ? err.modbusErrorCode : ExceptionCode.slaveDeviceFailure,
    );
  }
}

export function exceptionPdu(fc: number, code: number): Buffer {
  return Buffer.from([(fc | 0x80) & 0xff, code]);
}
