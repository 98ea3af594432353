/**
 * A set of sequence numbers kept as [first, last] ranges: what a bridge
 * process heard arrives almost in one piece (Pub/Sub keeps the publisher's
 * order), so a few ranges hold hundreds of thousands of numbers.
 */
export class Ranges {
  private readonly ranges: [number, number][] = [];

  add(n: number): void {
    const last = this.ranges.at(-1);
    if (last !== undefined && n === last[1] + 1) last[1] = n;
    else if (last === undefined || n > last[1]) this.ranges.push([n, n]);
    else if (!this.has(n)) this.ranges.push([n, n]);
  }

  addRange([first, end]: readonly [number, number]): void {
    const last = this.ranges.at(-1);
    if (last !== undefined && first === last[1] + 1) last[1] = end;
    else if (last === undefined || first > last[1]) this.ranges.push([first, end]);
    else for (let n = first; n <= end; n += 1) this.add(n);
  }

  has(n: number): boolean {
    for (let i = this.ranges.length - 1; i >= 0; i -= 1) {
      const [first, last] = this.ranges[i] as [number, number];
      if (n >= first && n <= last) return true;
    }
    return false;
  }

  /** The ranges added since the last call (for a report), leaving the set empty. */
  drain(): [number, number][] {
    return this.ranges.splice(0);
  }
}
