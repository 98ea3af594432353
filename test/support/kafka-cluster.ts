/**
 * The three-node KRaft cluster of scripts/kafka/kafka.sh, driven from a
 * test: start it, kill -9 a node, start it again, stop it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = new URL('../../scripts/kafka/kafka.sh', import.meta.url).pathname;

export const CLUSTER_BROKERS = ['127.0.0.1:19092', '127.0.0.1:19192', '127.0.0.1:19292'];

async function cluster(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('bash', [SCRIPT, 'cluster', ...args], { timeout: 180_000 });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `scripts/kafka/kafka.sh cluster ${args.join(' ')} failed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    );
  }
}

export const startCluster = () => cluster('start');
export const stopCluster = () => cluster('stop');
export const killNode = (node: number) => cluster('kill', String(node));
export const restartNode = (node: number) => cluster('restart', String(node));
