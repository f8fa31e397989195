import { ClientMqtt } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { type BrokerSettings, nestMqttOptions } from './nest-mqtt-options';
import { RpcError, RpcUnavailable } from './rpc-errors';

/**
 * ClientMqtt that keeps a reply subscription once made. Stock ClientMqtt unsubscribes when the
 * last pending request ends and subscribes again for the next one; mqtt.js skips a SUBSCRIBE for
 * a topic whose UNSUBSCRIBE is still unacknowledged, so a request sent right after another lost
 * its reply (seen: the second channel of a crystal timed out although the poller had answered).
 */
class KeepRepliesClientMqtt extends ClientMqtt {
  protected override unsubscribeFromChannel(channel: string): void {
    this.subscriptionsCount.set(channel, Math.max(1, (this.subscriptionsCount.get(channel) ?? 1) - 1));
  }
}

/**
 * Not in the `@cicenns/bus` barrel (import it from `@cicenns/bus/rpc`): it loads Nest's
 * microservices and rxjs, about 700 modules and 25 MB of RSS, which the services that only
 * publish and subscribe (poller, historian) must not pay for (docs/PERFORMANCE.md "Memory at
 * rest"). The barrel has its type and its errors.
 *
 * Request/response with our MQTT services through Nest's ClientMqtt (request on the pattern,
 * reply on `<pattern>/reply`): the alarm service's commands and queries, the poller's HV writes.
 * Each user has its own client id (`<prefix>-<clientIdSuffix>`: the API 'api-rpc', the
 * commissioning service 'commissioning-rpc'): two clients with one id would kick each other off.
 */
export class BusRpc {
  private readonly client: KeepRepliesClientMqtt;

  constructor(mqtt: BrokerSettings, clientIdSuffix: string) {
    this.client = new KeepRepliesClientMqtt(nestMqttOptions(mqtt, clientIdSuffix, 'client'));
  }

  async request<T>(pattern: string, data: unknown, timeoutMs: number, what: string): Promise<T> {
    try {
      return await firstValueFrom(this.client.send<T>(pattern, data).pipe(timeout(timeoutMs)));
    } catch (err) {
      if (err instanceof TimeoutError)
        throw new RpcUnavailable(`${what} did not answer within ${timeoutMs / 1000} s`);
      // a transport failure is an Error; the remote handler's error arrives as plain data
      if (err instanceof Error) throw new RpcUnavailable(`${what} unreachable: ${err.message}`);
      const e = err as { message?: unknown } | string;
      throw new RpcError(typeof e === 'string' ? e : String(e?.message ?? JSON.stringify(e)));
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
