import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import {
  ackCommand,
  disableCommand,
  enableCommand,
  journalQuery,
  listQuery,
  shelveCommand,
  Topics,
  treeQuery,
  unshelveCommand,
} from '@cicenns/contracts';
import type { RawBusMessage } from './alarms-mqtt.server';
import { AlarmsService } from './alarms.service';
import { CommandError, parseCommand } from './commands';
import { LifecycleError } from './lifecycle';

/** A refused command comes back to the caller as {status: 'error', message}. */
function answer<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CommandError || err instanceof LifecycleError) {
      throw new RpcException({ status: 'error', message: err.message });
    }
    throw err;
  }
}

@Controller()
export class AlarmsController {
  constructor(private readonly alarms: AlarmsService) {}

  @EventPattern(Topics.readingsAll)
  readings(@Payload() m: RawBusMessage): void {
    this.alarms.onBatch(m.topic, m.payload);
  }

  @EventPattern(Topics.healthAll)
  health(@Payload() m: RawBusMessage): void {
    this.alarms.onHealth(m.topic, m.payload);
  }

  @MessagePattern(Topics.alarms.cmd.ack)
  ack(@Payload() data: unknown) {
    return answer(() => {
      const c = parseCommand(ackCommand, data);
      return this.alarms.runtime.ack(c.alarmIds, { by: c.user, comment: c.comment, origin: c.origin });
    });
  }

  @MessagePattern(Topics.alarms.cmd.shelve)
  shelve(@Payload() data: unknown) {
    return answer(() => {
      const c = parseCommand(shelveCommand, data);
      return this.alarms.runtime.shelve(c.alarmId, {
        by: c.user,
        reason: c.reason,
        until: c.until,
        comment: c.comment,
        origin: c.origin,
      });
    });
  }

  @MessagePattern(Topics.alarms.cmd.unshelve)
  unshelve(@Payload() data: unknown) {
    return answer(() => {
      const c = parseCommand(unshelveCommand, data);
      return this.alarms.runtime.unshelve(c.alarmId, { by: c.user, comment: c.comment, origin: c.origin });
    });
  }

  @MessagePattern(Topics.alarms.cmd.disable)
  disable(@Payload() data: unknown) {
    return answer(() => {
      const c = parseCommand(disableCommand, data);
      return this.alarms.runtime.disable(c.alarmId, {
        by: c.user,
        reason: c.reason,
        comment: c.comment,
        origin: c.origin,
      });
    });
  }

  @MessagePattern(Topics.alarms.cmd.enable)
  enable(@Payload() data: unknown) {
    return answer(() => {
      const c = parseCommand(enableCommand, data);
      return this.alarms.runtime.enable(c.alarmId, { by: c.user, comment: c.comment, origin: c.origin });
    });
  }

  @MessagePattern(Topics.alarms.query.list)
  list(@Payload() data: unknown) {
    return answer(() => this.alarms.runtime.list(parseCommand(listQuery, data).filter));
  }

  @MessagePattern(Topics.alarms.query.journal)
  journal(@Payload() data: unknown) {
    return answer(() => this.alarms.runtime.journal(parseCommand(journalQuery, data)));
  }

  @MessagePattern(Topics.alarms.query.tree)
  tree(@Payload() data: unknown) {
    return answer(() => {
      parseCommand(treeQuery, data); // its one field (partition) is for answersRequest; refuses others
      return this.alarms.runtime.tree();
    });
  }
}
