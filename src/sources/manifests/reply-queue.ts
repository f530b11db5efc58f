import type { ParseReply } from './parse-protocol.ts';

/**
 * Replies as they arrive, for one consumer; ends after the final reply or with an error. Each
 * batch the consumer is done with (it asks for the next) gives the thread one more credit. A
 * consumer that stops before the final reply (it threw) abandons the file: the thread, perhaps
 * waiting for credit, must not be left holding it.
 */
export class ReplyQueue implements AsyncIterable<ParseReply> {
  private readonly consumed: () => void;
  private readonly abandoned: () => void;
  private readonly items: ParseReply[] = [];
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(consumed: () => void, abandoned: () => void) {
    this.consumed = consumed;
    this.abandoned = abandoned;
  }

  push(reply: ParseReply): void {
    if (this.ended) return;
    this.items.push(reply);
    if (reply.type !== 'objects') this.ended = true;
    this.wake?.();
  }

  fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ParseReply> {
    try {
      for (;;) {
        const next = this.items.shift();
        if (next !== undefined) {
          yield next;
          if (next.type !== 'objects') return;
          this.consumed();
        } else if (this.error !== undefined) {
          throw this.error;
        } else {
          await new Promise<void>((resolve) => { this.wake = resolve; });
          this.wake = undefined;
        }
      }
    } finally {
      if (!this.ended) this.abandoned();
    }
  }
}
