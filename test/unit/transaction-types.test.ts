/**
 * Transactions are typed per provider: what `publish` runs in and what an
 * effectively-once handler writes through is the driver's own object, and a
 * provider without transactions takes none. These are checked by the type
 * checker (`npm run lint`); each `@ts-expect-error` fails it if the error
 * it expects goes away.
 */
import type { Transaction as PGliteTransaction } from '@electric-sql/pglite';
import type pg from 'pg';
import { describe, expectTypeOf, it } from 'vitest';
import { Millrace, pglite, postgres, type HandlerContext } from '../../src/index.js';
import { kafka } from '../../src/kafka.js';
import { memory } from '../../src/testing.js';

type Opened<F> = F extends () => Promise<infer M> ? M : never;
const onPostgres = () =>
  Millrace.open({ provider: postgres({ connectionString: 'postgres://x' }) });
const onPglite = () => Millrace.open({ provider: pglite() });
const onEither = (embedded: boolean) =>
  Millrace.open({
    provider: embedded ? pglite() : postgres({ connectionString: 'postgres://x' }),
  });
const onMemory = () => Millrace.open({ provider: memory() });
const onKafka = () => Millrace.open({ provider: kafka({ brokers: ['localhost:9092'] }) });

describe('transaction types', () => {
  it('are the driver’s own on PostgreSQL and PGlite, and either where either may be opened', () => {
    expectTypeOf(onPostgres).returns.resolves.toEqualTypeOf<Millrace<pg.ClientBase>>();
    expectTypeOf(onPglite).returns.resolves.toEqualTypeOf<Millrace<PGliteTransaction>>();
    expectTypeOf(onEither).returns.resolves.toEqualTypeOf<
      Millrace<pg.ClientBase | PGliteTransaction>
    >();
    expectTypeOf<Opened<typeof Millrace.open>>().toEqualTypeOf<Millrace<unknown>>();
  });

  it('reach a handler and a publish typed', () => {
    const typed = async (millrace: Millrace<pg.ClientBase>, client: pg.ClientBase) => {
      millrace.consumer({
        name: 'c',
        sequence: 'log',
        delivery: 'effectively-once',
        handler: async (_event, context) => {
          expectTypeOf(context).toEqualTypeOf<HandlerContext<pg.ClientBase>>();
          await context.transaction?.query('SELECT 1');
        },
      });
      const event = { stream: 's-1', subject: 's', data: 1 };
      await millrace.publish(event, { transaction: client });
      await millrace.publish(event, {
        // @ts-expect-error a PGlite transaction is not a pg client
        transaction: {} as PGliteTransaction,
      });
    };
    expectTypeOf(typed).toBeFunction();
  });

  it('are none on memory and Kafka: a transaction is refused by the types', () => {
    type Never<M> = M extends Millrace<infer T> ? ([T] extends [never] ? true : false) : false;
    expectTypeOf(onMemory).returns.resolves.toMatchTypeOf<Millrace<never>>();
    expectTypeOf<Never<Opened<typeof onMemory>>>().toEqualTypeOf<true>();
    expectTypeOf(onKafka).returns.resolves.toMatchTypeOf<Millrace<never>>();
    expectTypeOf<Never<Opened<typeof onKafka>>>().toEqualTypeOf<true>();
    expectTypeOf<Never<Opened<typeof onPostgres>>>().toEqualTypeOf<false>();
    const refused = async (millrace: Millrace<never>) => {
      await millrace.publish(
        { stream: 's-1', subject: 's', data: 1 },
        // @ts-expect-error Kafka and memory take no transaction
        { transaction: {} },
      );
    };
    expectTypeOf(refused).toBeFunction();
  });
});
