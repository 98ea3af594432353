/**
 * The two places a partition worker stores its position itself rather than
 * through the committer: the at-most-once claim of a page before handling
 * it, and the effectively-once handler that runs in the transaction storing
 * its event's position. Either commit, refused because the partition is
 * someone else's now, is reported through `env.onRefused`.
 */
import type { ReadPage } from '../contracts/log.js';
import { FencedError } from '../errors.js';
import type { AttemptResult } from './attempt.js';
import { RECORD_RETRY_MS } from './delivery-records.js';
import type { Entry } from './delivery-window.js';
import { isDecision, type Handler } from './handler.js';
import type { WorkerContext } from './worker-context.js';

/**
 * At most once: the position passes the whole page, stored, before any of
 * it is handled; a crash then loses what was not handled, and nothing is
 * ever handled twice. A page that cannot be claimed is not handled.
 * True once the page is claimed; false if it may not be (stopping, lapsed, refused).
 */
export async function claimPage(context: WorkerContext, page: ReadPage): Promise<boolean> {
  const { env } = context;
  const claim = context.commitAt(page.next);
  for (;;) {
    if (context.stopped || !env.isLive()) return false;
    try {
      await env.session.commit([claim]);
      return true;
    } catch (error) {
      if (isRefusal(error)) {
        env.onRefused(claim);
        return false;
      }
      context.warn(error, 'could not claim a page (at-most-once); it waits');
      await context.wait(RECORD_RETRY_MS);
    }
  }
}

/** The handler to run for an attempt: a replayed dead letter, behind the position, commits nothing. */
export function handlerFor(
  context: WorkerContext,
  entry: Entry,
  replay: boolean,
): Handler<unknown> {
  return commitsItself(context, replay)
    ? transactional(context, entry)
    : context.env.options.handler;
}

/**
 * The attempt failed because its effectively-once commit was refused: tells
 * the environment (the partition is someone else's) and returns true.
 */
export function refusedItsCommit(
  context: WorkerContext,
  entry: Entry,
  replay: boolean,
  result: AttemptResult,
): boolean {
  if (result.ok || !isRefusal(result.error) || !commitsItself(context, replay)) return false;
  context.env.onRefused(context.commitAt(entry.event.position));
  return true;
}

function commitsItself(context: WorkerContext, replay: boolean): boolean {
  return context.env.options.delivery === 'effectively-once' && !replay;
}

/**
 * Effectively once: the handler runs in the transaction that stores its
 * event's position, and writes through `context.transaction`; a throw or a
 * decision rolls both back.
 */
function transactional(context: WorkerContext, entry: Entry): Handler<unknown> {
  const { session, options } = context.env;
  const commitWithin = session.commitWithin?.bind(session);
  if (commitWithin === undefined) return options.handler;
  const commit = context.commitAt(entry.event.position);
  return (event, handlerContext) =>
    commitWithin(commit, async (transaction) => {
      (handlerContext as { transaction: unknown }).transaction = transaction;
      const value = await options.handler(event, handlerContext);
      return { commit: !isDecision(value), value };
    }) as Promise<void>;
}

/** A commit refused because the partition is no longer this member's under this generation. */
function isRefusal(error: unknown): boolean {
  return error instanceof FencedError && error.reason === 'stale_generation';
}
