type Job = { run: () => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void };

/**
 * Runs async jobs one at a time, in order. One queue per physical link: Modbus RTU has no
 * transaction id, so a reply can only be matched to a request if there is a single request on
 * the wire, and modbus-serial's client is not safe for concurrent requests either.
 * `urgent` jobs (HV writes) go before queued reads, never before the running one.
 */
export class SerialQueue {
  private readonly jobs: Job[] = [];
  private running = false;

  run<T>(job: () => Promise<T>, opts: { urgent?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Job = { run: job, resolve: resolve as (v: unknown) => void, reject };
      if (opts.urgent) this.jobs.unshift(entry);
      else this.jobs.push(entry);
      if (!this.running) void this.pump();
    });
  }

  /** Jobs waiting, not counting the one running. */
  get waiting(): number {
    return this.jobs.length;
  }

  get busy(): boolean {
    return this.running;
  }

  private async pump(): Promise<void> {
    this.running = true;
    let job: Job | undefined;
    while ((job = this.jobs.shift())) {
      try {
        job.resolve(await job.run());
      } catch (err) {
        // a failed job settles its own promise and must not stall the jobs behind it
        job.reject(err);
      }
    }
    this.running = false;
  }
}
