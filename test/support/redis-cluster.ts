/**
 * The six-node Redis Cluster of scripts/redis/cluster.sh (three primaries,
 * three replicas, on 127.0.0.1), driven from a test: start it, kill -9 a
 * node, start it again, ask which nodes are primaries now, stop it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/redis/cluster.sh', import.meta.url));

/** Node i (1..6) listens on BASE + i; the script reads the same variable. */
const PORT_BASE = Number(process.env.MILLRACE_REDIS_CLUSTER_PORT_BASE || 7000);
const NODES = [1, 2, 3, 4, 5, 6];
/**
 * start waits up to 30 s for the cluster to be healthy; a minute bounds any
 * command, so a hung node fails the test rather than stalling it.
 */
const TIMEOUT_MS = 60_000;

/** Which cluster: its port base and state directory (the script's defaults when absent). */
export interface ClusterPlace {
  readonly portBase: number;
  readonly dir?: string;
}

const DEFAULT_PLACE: ClusterPlace = { portBase: PORT_BASE };

async function cluster(place: ClusterPlace, ...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    MILLRACE_REDIS_CLUSTER_PORT_BASE: String(place.portBase),
    ...(place.dir === undefined ? {} : { MILLRACE_REDIS_CLUSTER_DIR: place.dir }),
  };
  try {
    const { stdout } = await run('bash', [SCRIPT, ...args], { timeout: TIMEOUT_MS, env });
    return stdout;
  } catch (error) {
    // execFile's message repeats stderr after the command line; say instead
    // how it ended, then what the script printed.
    const failed = error as {
      code?: number | string;
      killed?: boolean;
      message: string;
      stdout?: string;
      stderr?: string;
    };
    const ending = failed.killed
      ? `killed after ${TIMEOUT_MS / 1000} s`
      : typeof failed.code === 'number'
        ? `exit code ${failed.code}`
        : failed.message;
    throw new Error(
      `scripts/redis/cluster.sh ${args.join(' ')} failed (${ending}):\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    );
  }
}

function node(i: number): string {
  if (!NODES.includes(i)) throw new Error(`a Redis cluster node is 1..6, not ${i}`);
  return String(i);
}

/**
 * Starts the cluster and waits until every node sees all slots served and
 * every replica is in sync. Already up: returns at once. A node killed and not
 * restarted is started again first; after restartRedisNode, this is how to
 * wait until the node has caught up.
 */
export async function startRedisCluster(place = DEFAULT_PLACE): Promise<void> {
  await cluster(place, 'start');
}

/** Stops every node and deletes the cluster's data: the next start is fresh. */
export async function stopRedisCluster(place = DEFAULT_PLACE): Promise<void> {
  await cluster(place, 'stop');
}

/** kill -9 node i (1..6); a primary's replica takes over in some 3-5 s. */
export async function killRedisNode(i: number, place = DEFAULT_PLACE): Promise<void> {
  await cluster(place, 'kill', node(i));
}

/** Starts node i again on its data; returns once it answers PING, maybe not yet in sync. */
export async function restartRedisNode(i: number, place = DEFAULT_PLACE): Promise<void> {
  await cluster(place, 'restart', node(i));
}

/** All six nodes, node i at index i - 1; any of them will do to bootstrap a cluster client. */
export function redisClusterNodes(place = DEFAULT_PLACE): { host: string; port: number }[] {
  return NODES.map((i) => ({ host: '127.0.0.1', port: place.portBase + i }));
}

/** The ports of the nodes that are primaries now (as a live node sees it), ascending. */
export async function redisClusterPrimaries(place = DEFAULT_PLACE): Promise<number[]> {
  const stdout = await cluster(place, 'primaries');
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}
