/**
 * PGlite keeps one data directory per process: two processes opening it
 * would corrupt it. A lock file beside the directory (`<dir>.lock`, holding
 * the owner's pid) makes the second opener fail with a clear error; a lock
 * left by a process that is gone is taken over.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MillraceError } from '../../core/errors.js';
import { processAlive } from '../../util/process-alive.js';

/** Lock files this process holds: a second open in the same process is refused too. */
const held = new Set<string>();

function inUse(dataDir: string, pid: number): MillraceError {
  return new MillraceError(
    'validation',
    `the data directory ${dataDir} is in use by process ${pid}; stop it, or reach it through its server`,
    false,
    { reason: 'data_dir_locked', details: { dataDir, pid } },
  );
}

/** Takes the lock or throws; returns the function that releases it. */
export function lockDataDir(dataDir: string): () => void {
  const path = `${resolve(dataDir)}.lock`;
  if (held.has(path)) throw inUse(dataDir, process.pid);
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(path);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(path);
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8').trim());
      // A lock naming this process but not held by it was left by an earlier process with our pid.
      if (
        Number.isSafeInteger(owner) &&
        owner > 0 &&
        owner !== process.pid &&
        processAlive(owner)
      ) {
        throw inUse(dataDir, owner);
      }
      rmSync(path, { force: true });
    }
  }
  throw new MillraceError('validation', `could not lock the data directory ${dataDir}`, false, {
    reason: 'data_dir_locked',
  });
}
