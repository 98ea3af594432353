/**
 * The consumer-group client of @platformatic/kafka 1.x, with one guard. The
 * client finds its group coordinator once and keeps its node id for good;
 * when that broker dies and leaves the cluster metadata, the next group
 * call looks the node up, gets nothing, and throws a TypeError from inside
 * a socket callback, which would crash the process. Here the lookup fails
 * with an error instead; the member session sees its heartbeats stop and
 * replaces the client (kafka-member-session.ts), which finds the new
 * coordinator.
 */
import {
  Consumer,
  kGetConnection,
  type Broker,
  type Callback,
  type Connection,
} from '@platformatic/kafka';
import { ConnectionError } from '../../core/errors.js';

export class GroupClient extends Consumer {
  override [kGetConnection](broker: Broker | undefined, callback: Callback<Connection>): void {
    if (broker === undefined) {
      callback(new ConnectionError('kafka: the group coordinator has left the cluster metadata'));
      return;
    }
    super[kGetConnection](broker, callback);
  }
}
