/**
 * "Something happened", for tests that wait on real I/O (a socket to the fake API server, a file
 * watch): producers — fixture callbacks, log sinks, the fake server's onActivity — call `notify`,
 * and `until` re-checks its condition after each notification. Nothing polls on a timer; the
 * deadline only turns a hang into a failure that names what never happened.
 */
export class Activity {
  private waiters: (() => void)[] = [];

  readonly notify = (): void => {
    for (const wake of this.waiters.splice(0)) wake();
  };

  async until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = AbortSignal.timeout(timeoutMs);
    while (!condition()) {
      if (deadline.aborted) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await this.next(deadline);
    }
  }

  private next(deadline: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        deadline.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters.push(wake);
      deadline.addEventListener('abort', wake, { once: true });
    });
  }
}
