/**
 * Reads every message a bridge test published against what landed in the
 * log: which were lost, which landed twice, and which of the lost ones a
 * bridge process heard and lived on with (a live standby): the bridge
 * promises those are never lost.
 */

export interface PublishedMessage {
  readonly seq: number;
  /** When it was published, on the test's clock (performance.now()). */
  readonly at: number;
}

/** A bridge process as the checker sees it: subscribed from `startedAt`, killed or not. */
export interface BridgeLife {
  readonly pid: number;
  /** When it said it had subscribed (performance.now()); undefined: it never did. */
  readonly startedAt: number | undefined;
  /** Killed with SIGKILL at some point: what it held died with it. */
  readonly killed: boolean;
}

export interface DeliveryVerdict {
  readonly published: number;
  readonly landed: number;
  /** Published, never in the log. */
  readonly lost: readonly number[];
  /** Of those, heard by a process that was never killed: the bridge promised them. */
  readonly lostCovered: readonly number[];
  /** In the log more than once. */
  readonly duplicated: readonly number[];
  /** In the log, never published (a corrupted or foreign message). */
  readonly unknown: readonly number[];
}

export function checkDelivery(
  published: readonly PublishedMessage[],
  landed: readonly number[],
  lives: readonly BridgeLife[],
): DeliveryVerdict {
  const counts = new Map<number, number>();
  for (const seq of landed) counts.set(seq, (counts.get(seq) ?? 0) + 1);
  const survivors = lives.filter((life) => !life.killed && life.startedAt !== undefined);
  const lost: number[] = [];
  const lostCovered: number[] = [];
  const known = new Set<number>();
  for (const message of published) {
    known.add(message.seq);
    if (counts.has(message.seq)) continue;
    lost.push(message.seq);
    if (survivors.some((life) => (life.startedAt as number) < message.at)) {
      lostCovered.push(message.seq);
    }
  }
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([seq]) => seq);
  const unknown = [...counts.keys()].filter((seq) => !known.has(seq));
  return {
    published: published.length,
    landed: landed.length,
    lost,
    lostCovered,
    duplicated,
    unknown,
  };
}

/** Runs of consecutive numbers, for a short failure message: `3-7, 12`. */
export function ranges(seqs: readonly number[]): string {
  const sorted = [...seqs].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
