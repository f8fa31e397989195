import { describeError, type ServiceLogger } from '@cicenns/common';
import type { MqttClient } from 'mqtt';
import type { z } from 'zod';

/** The largest command or query we read (a start with 200 target names and 50 confirmations is ~20 KB). */
export const MAX_COMMAND_BYTES = 64 * 1024;

/** One topic's handler: the data parsed with its schema, the answer (or a refusal thrown as an Error). */
export interface Route<S extends z.ZodType = z.ZodType> {
  schema: S;
  handle(data: z.infer<S>): unknown | Promise<unknown>;
}

/**
 * Serves Nest's MQTT request/response on plain mqtt (as the poller's HvCommandHandler): request
 * `{id, pattern, data}` on a topic, reply on `<topic>/reply` with `{id, response, isDisposed:
 * true}`, or `{id, err: {status: 'error', message}, isDisposed: true}` for a refusal. Every
 * payload is untrusted: too large, not JSON, no id, or data not matching the topic's schema is
 * refused with the reason (and counted), never thrown.
 */
export class CommandResponder {
  readonly counters = { commands: 0, rejected: 0, refused: 0 };

  constructor(
    private readonly client: MqttClient,
    private readonly routes: Record<string, Route>,
    private readonly log: ServiceLogger,
  ) {}

  get topics(): string[] {
    return Object.keys(this.routes);
  }

  /** true if the topic is one of ours */
  onMessage(topic: string, payload: Buffer): boolean {
    const route = this.routes[topic];
    if (!route) return false;
    void this.serve(topic, route, payload);
    return true;
  }

  private async serve(topic: string, route: Route, payload: Buffer): Promise<void> {
    this.counters.commands++;
    if (payload.length > MAX_COMMAND_BYTES) {
      this.counters.rejected++;
      this.log.warn(
        `${topic}: a request of ${payload.length} bytes refused unread (limit ${MAX_COMMAND_BYTES})`,
      );
      return;
    }
    let req: { id?: unknown; data?: unknown };
    try {
      req = JSON.parse(payload.toString()) as typeof req;
    } catch {
      this.counters.rejected++;
      this.log.warn(`${topic}: payload is not JSON, ignored`);
      return;
    }
    if (!req || typeof req !== 'object' || typeof req.id !== 'string' || req.id.length > 200) {
      this.counters.rejected++;
      this.log.warn(`${topic}: a request without an id, ignored (nobody waits for its reply)`);
      return;
    }
    const id = req.id;
    const parsed = route.schema.safeParse(req.data ?? {});
    if (!parsed.success) {
      this.counters.rejected++;
      const issue = parsed.error.issues[0];
      const where = issue.path.length ? issue.path.join('.') : 'request';
      return this.reply(topic, { id, err: { status: 'error', message: `${where}: ${issue.message}` } });
    }
    try {
      const response = await route.handle(parsed.data);
      this.reply(topic, { id, response: response ?? null });
    } catch (err) {
      this.counters.refused++;
      const message = err instanceof Error ? err.message : describeError(err);
      this.log.warn(`${topic}: refused: ${message}`);
      this.reply(topic, { id, err: { status: 'error', message } });
    }
  }

  private reply(topic: string, body: { id: string; response?: unknown; err?: unknown }): void {
    this.client.publish(`${topic}/reply`, JSON.stringify({ ...body, isDisposed: true }), { qos: 1 });
  }
}
