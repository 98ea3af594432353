// The PostgreSQL provider alone, on a real server or embedded (PGlite): `millrace/postgres`.
export { postgres, pglite } from './providers/postgres/postgres-provider.js';
export type {
  PgliteOptions,
  PostgresOptions,
  PostgresProvider,
} from './providers/postgres/postgres-provider.js';
