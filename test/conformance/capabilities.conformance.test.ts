/**
 * The claims the rest of the suite is chosen by: each target's declared
 * capabilities must be what its opened provider reports, or a scenario could
 * be left out (or run) on a false premise. And the coverage matrix: which
 * scenario runs where, and why not elsewhere, printed and checked.
 */
import { describe, expect, it } from 'vitest';
import { SCENARIOS, conformance, missingNeeds } from '../support/conformance/scenarios.js';
import { PARTITIONS } from '../support/conformance/split.js';
import { KNOWN_TARGETS, TARGETS } from '../support/conformance/targets.js';

conformance(SCENARIOS.capabilities, (h) => {
  it('opens a provider whose capabilities are what the target declares', async () => {
    const millrace = await h.open();
    const { maxPartitions, ...reported } = millrace.capabilities;
    expect({ ...reported, retention: millrace.provider.retention !== undefined }).toEqual(
      h.target.capabilities,
    );
    // The suite relies on the default partition count everywhere.
    expect(maxPartitions).toBeGreaterThanOrEqual(PARTITIONS);
  });
});

describe('coverage matrix', () => {
  const scenarios = Object.values(SCENARIOS);

  it('runs every scenario on at least one known target, and says why it skips the others', () => {
    const rows = scenarios.map((scenario) => [
      scenario.title,
      ...KNOWN_TARGETS.map((target) => {
        const missing = missingNeeds(scenario, target);
        return missing.length === 0
          ? 'runs'
          : `n/a: lacks ${missing.map((n) => n.label.split(' (')[0]).join(', ')}`;
      }),
    ]);
    const wired = new Set(TARGETS.map((t) => t.name));
    const header = [
      'scenario',
      ...KNOWN_TARGETS.map((t) => (wired.has(t.name) ? t.name : `${t.name} (not in this run)`)),
    ];
    const widths = header.map((_, c) =>
      Math.max(...[header, ...rows].map((row) => row[c]!.length)),
    );
    const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ');
    console.log(
      ['', line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join(
        '\n',
      ),
    );

    const nowhere = scenarios.filter((s) =>
      KNOWN_TARGETS.every((t) => missingNeeds(s, t).length > 0),
    );
    expect(nowhere.map((s) => s.title)).toEqual([]);
  });
});
