/**
 * `<data-dir>/server.json` tells other commands where the running server is,
 * so `millrace publish` in a second terminal finds it with no flags. A file
 * left by a process that is gone, or a server that does not answer, is ignored.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HealthResponse } from '../server/wire/responses.js';
import { processAlive } from '../util/process-alive.js';

export const ServerFile = z.object({
  url: z.url(),
  pid: z.number().int().positive(),
  provider: z.string(),
  startedAt: z.iso.datetime(),
});

export type ServerFile = z.infer<typeof ServerFile>;

export function serverFilePath(dataDir: string): string {
  return join(dataDir, 'server.json');
}

export function writeServerFile(dataDir: string, file: ServerFile): void {
  mkdirSync(dataDir, { recursive: true });
  const path = serverFilePath(dataDir);
  // Write then rename, so a reader never sees half a file.
  writeFileSync(`${path}.${process.pid}.tmp`, `${JSON.stringify(file, null, 2)}\n`);
  renameSync(`${path}.${process.pid}.tmp`, path);
}

/** Removes the file if it is this process's own. */
export function removeServerFile(dataDir: string): void {
  if (readServerFile(dataDir)?.pid === process.pid)
    rmSync(serverFilePath(dataDir), { force: true });
}

export function readServerFile(dataDir: string): ServerFile | undefined {
  try {
    const parsed = ServerFile.safeParse(JSON.parse(readFileSync(serverFilePath(dataDir), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2000) });
    return response.ok && HealthResponse.safeParse(await response.json()).success;
  } catch {
    return false;
  }
}

/** The server recorded in the data directory, if its process lives and it answers. */
export async function findLiveServer(dataDir: string): Promise<ServerFile | undefined> {
  const file = readServerFile(dataDir);
  if (file === undefined || !processAlive(file.pid)) return undefined;
  return (await answers(file.url)) ? file : undefined;
}
