/** What one run of the peer benchmark found, scenario by scenario, system by system. */
import type { Ceilings } from '../ceilings.js';
import type { BigLogResult } from './big-log.js';
import type { RedisCeilings } from './ceilings-extra.js';
import type { RecoveryResult } from './recovery.js';
import type { DrainResult, LatencyResult } from './scenarios.js';

export interface SystemResults {
  drain?: DrainResult;
  /** One per round. */
  latency: LatencyResult[];
  slow?: DrainResult;
  /** One per kill. */
  recovery: RecoveryResult[];
  /** Drains by number of worker processes. */
  scale: Map<number, DrainResult>;
  /** Why a scenario has no figure (failed, or does not apply). */
  notes: Map<string, string>;
}

export interface PeerResults {
  readonly date: string;
  readonly machine: string;
  readonly settings: {
    readonly jobs: number;
    readonly slowJobs: number;
    readonly concurrency: number;
    readonly rate: number;
    readonly latencySeconds: number;
    readonly latencyRounds: number;
    readonly processes: readonly number[];
    readonly recoveryTrials: number;
    readonly recoveryCapSeconds: number;
  };
  readonly systems: Map<string, SystemResults>;
  bigLog?: { small: BigLogResult; big: BigLogResult };
  postgresCeilings?: Ceilings & { readonly commitsPerSecond: number };
  redisCeilings?: RedisCeilings;
  readonly configurations: Map<string, string>;
}
