/**
 * Long work on the event loop, cut into slices: between units of work the caller asks `due()`
 * and, when the current slice has run its length, awaits `yield()`, which lets timers and I/O
 * (the health endpoint, the sync loop) run before the next slice.
 *
 * A slice is the time since the event loop last turned: waiting for a batch from the parser thread
 * lets the loop turn too, and starts a new slice. It is measured with performance.now(), not the
 * injected Clock: this is not about when things happen but how long synchronous work holds the
 * loop, and a test's manual clock never moves during synchronous work.
 */
import { SLICE_MS } from './limits.ts';

export class Slicer {
  private readonly sliceMs: number;
  private started = 0;
  /** Set by a setImmediate queued when the slice started: the loop has turned since. */
  private turned = false;

  constructor(sliceMs = SLICE_MS) {
    this.sliceMs = sliceMs;
    this.restart();
  }

  due(): boolean {
    if (this.turned) this.restart();
    return performance.now() - this.started >= this.sliceMs;
  }

  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.restart();
  }

  /** `yield()` only when due: for loops whose units are small. */
  async pause(): Promise<void> {
    if (this.due()) await this.yield();
  }

  private restart(): void {
    this.started = performance.now();
    this.turned = false;
    setImmediate(() => { this.turned = true; });
  }
}
