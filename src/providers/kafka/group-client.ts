/**
 * The consumer-group client of @platformatic/kafka 1.x, with two changes.
 *
 * The client finds its group coordinator once and keeps its node id for
 * good; when that broker dies and leaves the cluster metadata, the next group
 * call looks the node up, gets nothing, and throws a TypeError from inside
 * a socket callback, which would crash the process. Here the lookup fails
 * with an error instead; the member session sees its heartbeats stop and
 * replaces the client (kafka-member-session.ts), which finds the new
 * coordinator.
 *
 * A heartbeat answered "rebalance in progress" makes the client rejoin at
 * once. Kafka's own consumer first revokes its partitions (its application
 * commits what it handled), because once the group has rejoined its commits
 * under the old generation are refused. `beforeRejoin` is that step: the
 * rejoin waits for it, while the coordinator still takes the old generation.
 */
import {
  Consumer,
  kGetConnection,
  kPerformWithRetry,
  type Broker,
  type Callback,
  type CallbackWithPromise,
  type Connection,
} from '@platformatic/kafka';
import { ConnectionError } from '../../core/errors.js';

export class GroupClient extends Consumer {
  /** Runs before the client rejoins its group after a rebalance began (its outcome does not matter). */
  beforeRejoin: (() => Promise<void>) | undefined;

  override [kGetConnection](broker: Broker | undefined, callback: Callback<Connection>): void {
    if (broker === undefined) {
      callback(new ConnectionError('kafka: the group coordinator has left the cluster metadata'));
      return;
    }
    super[kGetConnection](broker, callback);
  }

  override [kPerformWithRetry]<ReturnType>(
    operationId: string,
    operation: (callback: Callback<ReturnType>) => void,
    callback: CallbackWithPromise<ReturnType>,
    attempt = 0,
    errors: Error[] = [],
    shouldSkipRetry?: (e: Error) => boolean,
  ): void | Promise<ReturnType> {
    const go = () =>
      super[kPerformWithRetry](operationId, operation, callback, attempt, errors, shouldSkipRetry);
    const before = this.beforeRejoin;
    if (operationId !== 'rejoinGroup' || attempt !== 0 || before === undefined) return go();
    const rejoin = () => void go();
    void before().then(rejoin, rejoin);
  }
}
