/**
 * A standby follows the leader's progress by reading its checkpoints: what
 * the leader's last batch ended with, found among the messages the standby
 * holds, and everything before it, is in the log. Those may go after
 * `keepMs`; the rest are kept until the log has them, or until the bound
 * on memory, where the full-buffer policy counts what goes. So a log that
 * stays unreachable costs a bounded, counted loss, never a silent one.
 */
import { TAIL_LENGTH, type CheckpointLog } from './checkpoint-log.js';
import type { HeardMessage, MessageBuffer } from './message-buffer.js';
import { lastAppended } from './resume-point.js';

export class StandbyFollower {
  private timer: NodeJS.Timeout | undefined;
  private reading = false;

  constructor(
    private readonly checkpoints: CheckpointLog,
    private readonly buffer: MessageBuffer,
    private readonly everyMs: number,
    /** Only while this says so (a standby, running). */
    private readonly following: () => boolean,
    /** After each read that reached the log: room may have been made. */
    private readonly progressed: () => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.follow(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reads the newest checkpoint and marks what it shows to be in the log. */
  async follow(): Promise<void> {
    if (this.reading || !this.following()) return;
    this.reading = true;
    try {
      const latest = await this.checkpoints.latest();
      if (latest === undefined || !this.following()) return;
      // Only the part not yet known to be in the log, with a tail's worth before it for the runs.
      const held = this.buffer.held(Math.max(0, this.buffer.firstUnappendedIndex - TAIL_LENGTH));
      const index = lastAppended(held, latest.checkpoint.tail, 0);
      if (index >= 0) this.buffer.appendedThrough((held[index] as HeardMessage).seq);
      this.buffer.trim(Date.now());
      this.progressed();
    } catch {
      // The log is unreachable: nothing is known, nothing goes. The leader says so in its status.
    } finally {
      this.reading = false;
    }
  }
}
