import { holdPubacks, type OutgoingPacket } from '@cicenns/bus';
import type { MqttClient } from 'mqtt';

/**
 * Commits what the historian takes from its messages to the spool once per event-loop turn,
 * not once per message, and only then sends those messages' PUBACKs.
 *
 * mqtt.js hands the historian the messages of one socket read one after the other (on
 * process.nextTick), so a commit scheduled with setImmediate takes all of them in one SQLite
 * transaction. End to end that saves a sixth of the historian's CPU per 8-reading message and
 * nothing measurable per 64-reading one, whose cost is in the bytes (bench:historian-commit,
 * docs/PERFORMANCE.md). A PUBACK is held until the lines of its message are committed,
 * so a crash in between makes the broker deliver the message again (the same points once more,
 * one point each in InfluxDB), never an acknowledged message that is not in the spool.
 */
export class GroupCommit {
  private lines: string[] = [];
  private acks: OutgoingPacket[] = [];
  private scheduled?: NodeJS.Immediate;
  private readonly send: (puback: OutgoingPacket) => void;

  /**
   * `commit` writes the lines in one transaction (Spool.append) and throws if it cannot; at
   * `maxLines` waiting (the flusher's batch size) they are committed at once.
   */
  constructor(
    client: MqttClient,
    private readonly commit: (lines: string[]) => void,
    private readonly maxLines: number,
  ) {
    this.send = holdPubacks(client, {
      held: (p) => {
        this.acks.push(p);
        this.schedule();
      },
      dropped: () => {
        this.acks = [];
      },
    });
  }

  /** Lines taken from a message (or a health report), committed with the rest of this turn's. */
  add(lines: readonly string[]): void {
    for (const l of lines) this.lines.push(l);
    if (this.lines.length >= this.maxLines) this.flush();
    else this.schedule();
  }

  /** lines taken and not yet committed */
  get pendingLines(): number {
    return this.lines.length;
  }

  /** PUBACKs waiting for their commit */
  get heldAcks(): number {
    return this.acks.length;
  }

  /** Commit what is waiting now, then send the PUBACKs of the messages it came from. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.lines.length > 0) {
      // if it throws, the lines and the acks stay: nothing is acknowledged that is not committed
      this.commit(this.lines);
      this.lines = [];
    }
    const acks = this.acks;
    this.acks = [];
    for (const a of acks) this.send(a);
  }

  private schedule(): void {
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.flush();
    });
  }
}
