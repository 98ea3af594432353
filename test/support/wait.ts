import type { Logger } from '../../src/index.js';

/**
 * How much longer than usual a test may wait for a state before it calls it
 * missing: `MILLRACE_TEST_PATIENCE` (a factor, default 1), which
 * `npm run test:stress` raises while it keeps every core busy. It stretches
 * failure bounds only; no test waits longer when things go right.
 */
export const PATIENCE = Math.max(1, Number(process.env.MILLRACE_TEST_PATIENCE ?? '1') || 1);

/** Polls `check` until it returns true; fails with `what` after `timeoutMs` (times PATIENCE). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  timeoutMs *= PATIENCE;
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Collects log lines instead of printing them, so tests can assert on them. */
export function recordingLogger(): Logger & {
  lines: { level: string; message: string; fields: Record<string, unknown> }[];
} {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
