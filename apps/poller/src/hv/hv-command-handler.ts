import { subscribeAcked } from '@cicenns/bus';
import { hvWriteCommandSchema, type HvWriteCommand, type HvWriteResult, Topics } from '@cicenns/contracts';
import type { Detector } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import type { Device, DeviceRegisters } from '../devices/device-registers';
import type { Logger } from '../logger';
import { refuseHvWrite } from './hv-command-guard';

/** Nest's MQTT request/response envelope (what ClientMqtt.send publishes). */
interface NestRequest {
  id?: unknown;
  data?: unknown;
}

/**
 * Serves HV write commands from the API: re-checks the PMT's limits and the channel's interlock
 * bit itself, writes through the link queue (DeviceRegisters), reads the register back and
 * replies with what the device now holds. Speaks Nest's MQTT request/response wire format so the
 * API can use ClientMqtt.send.
 */
export class HvCommandHandler {
  private readonly topic = Topics.hv.cmd.write;

  constructor(
    private readonly registers: DeviceRegisters,
    private readonly detector: Detector,
    private readonly client: MqttClient,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  attach(): this {
    // Polling does not wait for the broker; HV commands are served once this SUBACK is in.
    subscribeAcked(this.client, [this.topic]).then(
      () => this.log.log(`HV commands: subscribed to ${this.topic}`),
      (e: Error) => this.log.error(`HV commands: ${e.message}`),
    );
    this.client.on('message', (topic, payload) => {
      if (topic === this.topic) void this.onRequest(payload);
    });
    return this;
  }

  private async onRequest(payload: Buffer): Promise<void> {
    let req: NestRequest;
    try {
      req = JSON.parse(payload.toString()) as NestRequest;
    } catch {
      this.log.warn('hv command: payload is not JSON, ignored');
      return;
    }
    if (typeof req?.id !== 'string') return; // not a request: nobody waits for a reply
    const response = await this.execute(req.data);
    this.client.publish(`${this.topic}/reply`, JSON.stringify({ id: req.id, response, isDisposed: true }), {
      qos: 1,
    });
  }

  /** Check, write, read back, verify. Never throws: every outcome is a result. */
  async execute(data: unknown): Promise<HvWriteResult> {
    const parsed = hvWriteCommandSchema.safeParse(data);
    if (!parsed.success) {
      const d = (data ?? {}) as Record<string, unknown>;
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        pmt: String(d.pmt ?? ''),
        register: String(d.register ?? ''),
        value: Number(d.value),
        refused: `malformed command: ${issue.path.join('.')}: ${issue.message}`,
      };
    }
    const cmd = parsed.data;
    const base = { pmt: cmd.pmt, register: cmd.register, value: cmd.value };
    const pmt = this.detector.pmt(cmd.pmt);
    const where = pmt && this.registers.get(pmt.hv.device);
    let flags: string[] | null = [];
    if (pmt && where) flags = await this.statusFlags(where, pmt.hv.channel);
    const refusal = refuseHvWrite(cmd, pmt, flags, this.now()) ?? (where ? undefined : 'no HV device');
    if (refusal || !pmt || !where) {
      this.log.warn(`hv ${describe(cmd)}: refused: ${refusal}`);
      return { ...base, ok: false, refused: refusal };
    }
    try {
      await this.registers.write(pmt.hv.device, pmt.hv.channel, cmd.register, cmd.value);
    } catch (err) {
      const error = `write failed: ${(err as Error).message}`;
      this.log.warn(`hv ${describe(cmd)}: ${error}`);
      return { ...base, ok: false, error };
    }
    let readBack: number | null;
    try {
      readBack = await this.registers.read(pmt.hv.device, pmt.hv.channel, cmd.register);
    } catch (err) {
      const error = `written, but the read-back failed: ${(err as Error).message}`;
      this.log.warn(`hv ${describe(cmd)}: ${error}`);
      return { ...base, ok: false, error };
    }
    const spec = where.profile.registers[cmd.register];
    // integer registers hold the value rounded to their scale, a float32 to ~7 digits
    const tolerance = spec.type === 'float32' ? Math.max(1e-3, Math.abs(cmd.value) * 1e-6) : spec.scale / 2;
    if (readBack === null || Math.abs(readBack - cmd.value) > tolerance + 1e-9) {
      const error = `read-back ${readBack} does not match the written ${cmd.value}`;
      this.log.warn(`hv ${describe(cmd)}: ${error}`);
      return { ...base, ok: false, readBack, error };
    }
    this.log.log(`hv ${describe(cmd)}: ok, read back ${readBack}`);
    return { ...base, ok: true, readBack };
  }

  /** The channel's status flags read now; [] when the profile has none; null when the read fails. */
  private async statusFlags(device: Device, channel: number): Promise<string[] | null> {
    const { profile } = device;
    if (!profile.registers.status) return [];
    try {
      const word = await this.registers.read(device.config.id, channel, 'status');
      if (word === null) return null;
      return Object.entries(profile.statusBits)
        .filter(([bit]) => (word >> Number(bit)) & 1)
        .map(([, name]) => name);
    } catch {
      return null;
    }
  }
}

function describe(c: HvWriteCommand): string {
  return `${c.pmt} ${c.register}=${c.value} by ${c.user} (operation ${c.operationId})`;
}
