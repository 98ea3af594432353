/**
 * The work queue's shapes (routes/work-queue.ts). A service's name becomes
 * a category and a consumer name, so it is held to a category's rules by
 * the core (letters, digits, `_`; no `-`).
 */
import { z } from 'zod';
import type { JsonValue } from '../../core/json.js';
import type { FetchedDelivery } from '../gateway/hosted-member.js';

const json = z.custom<JsonValue>((value) => value !== undefined, {
  message: 'required: any JSON value, null included',
});

const service = z.string().min(1).max(100);
const serviceToken = z.string().max(200).optional();

export const AddTaskBody = z.strictObject({ service, payload: json, serviceToken });

export const AddedTaskJson = z.object({
  topic: z.string(),
  service: z.string(),
  uid: z.string(),
  timestamp: z.number().int(),
  version: z.number().int(),
});

export const StartQueueBody = z.strictObject({
  service,
  serviceToken,
  /** Consumers that can work at once. @defaultValue 8 */
  partitions: z.number().int().optional(),
});

export const StartedQueueJson = z.object({ consumerId: z.string(), consumerToken: z.string() });

export const QueueConsumerParams = z.strictObject({ consumerId: z.string().max(100) });

export const QueueTokenBody = z.strictObject({ consumerToken: z.string().max(200), serviceToken });

export const TaskJson = z.object({
  /** What the commit names the task by. */
  id: z.string(),
  uid: z.string(),
  service: z.string(),
  payload: json,
  attempt: z.number().int(),
  deadline: z.iso.datetime(),
});

export const FetchedTaskJson = z.object({ task: TaskJson.nullable() });

export const CommitTaskBody = z.strictObject({
  consumerToken: z.string().max(200),
  serviceToken,
  task: z.looseObject({ id: z.string().max(200) }),
  result: json.optional(),
});

export const CommittedTaskJson = z.object({
  task: z.looseObject({ id: z.string() }),
  result: z.custom<JsonValue>().optional(),
  /** applied, or why not: fenced, expired, unknown. */
  status: z.enum(['applied', 'fenced', 'expired', 'unknown']),
});

export const StoppedQueueJson = z.object({ done: z.boolean() });

export function taskJson(serviceName: string, delivery: FetchedDelivery): z.input<typeof TaskJson> {
  return {
    id: delivery.id,
    uid: delivery.event.id,
    service: serviceName,
    payload: delivery.event.data,
    attempt: delivery.attempt,
    deadline: delivery.deadline.toISOString(),
  };
}
