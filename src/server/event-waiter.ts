/**
 * Reads that wait: when a read finds nothing, wait until events may have
 * arrived for its sequence (a provider wake-up) or the time is up, then read
 * again. Without wake-ups, or while `pending` says a late transaction holds
 * events back, it polls instead.
 */
import type { ReadPage } from '../core/contracts/log.js';
import type { Millrace, ReadOptions } from '../millrace.js';

/** How often to look again when no wake-up can be relied on. */
const POLL_MS = 200;

/** What the waiter needs of a page: whether it holds events, and where it ends. */
export type WaitablePage = Pick<ReadPage, 'next' | 'hasMore' | 'pending'> & {
  readonly events: { readonly length: number };
};

export class EventWaiter<Page extends WaitablePage = ReadPage> {
  private readonly readPage: (options: ReadOptions) => Promise<Page>;

  /** `read` reads one page (the server's reads a page cut to its byte budget); by default `millrace.read`. */
  constructor(
    private readonly millrace: Millrace,
    read?: (options: ReadOptions) => Promise<Page>,
  ) {
    // Without a reader Page is ReadPage, its default.
    this.readPage = read ?? ((options) => millrace.read(options) as unknown as Promise<Page>);
  }

  /** Reads; if the page is empty, keeps waiting up to `waitMs` for events to read. */
  async read(options: ReadOptions, waitMs: number, signal?: AbortSignal): Promise<Page> {
    const first = await this.readPage(options);
    if (first.events.length > 0 || waitMs <= 0 || signal?.aborted) return first;
    const deadline = Date.now() + waitMs;
    const bell = new Bell();
    // Subscribe before reading again, so a publish between the two reads is not missed.
    const unregister = await this.millrace.onEvents(options.sequence ?? 'log', () => bell.ring());
    const polling = !this.millrace.wakesOnEvents;
    try {
      let page = first;
      for (;;) {
        page = await this.readPage({ ...options, after: page.next });
        const remaining = deadline - Date.now();
        if (page.events.length > 0 || remaining <= 0 || signal?.aborted) return page;
        // A page emptied by the subject filter says nothing about what follows it.
        if (page.hasMore) continue;
        await bell.wait(polling || page.pending ? Math.min(POLL_MS, remaining) : remaining, signal);
      }
    } finally {
      await unregister();
    }
  }
}

/** A wake-up that is remembered if it rings while nobody is waiting. */
class Bell {
  private rung = false;
  private wake: (() => void) | undefined;

  ring(): void {
    this.rung = true;
    this.wake?.();
  }

  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (!this.rung) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    }
    this.rung = false;
  }
}
