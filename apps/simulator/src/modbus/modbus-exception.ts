/** Modbus exception codes the simulated devices answer with. */
export const ExceptionCode = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  slaveDeviceFailure: 0x04,
  gatewayTargetFailed: 0x0b,
} as const;

/** Thrown by the register bank; answerPdu (pdu.ts) turns `modbusErrorCode` into the exception reply. */
export class ModbusException extends Error {
  constructor(
    readonly modbusErrorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ModbusException';
  }
}
