/**
 * The embedded database is PostgreSQL compiled to WebAssembly (PGlite). By
 * default V8 recompiles hot WebAssembly functions with its optimizing
 * compiler on as many threads as there are cores, as soon as they have run a
 * little. During a start that is a large part of PostgreSQL, and on a
 * two-core machine the main thread then waits for a core: an embedded server
 * on an existing data directory listened after 1.1 s instead of 0.9 s. The
 * command leaves the main thread a core and lets functions run ten times
 * longer before they are recompiled; the embedded drain is as fast (the hot
 * ones are recompiled within its first second). Set before anything compiles
 * WebAssembly, for this process only: the library leaves V8's flags alone.
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';

const DEFAULT_TIERING_BUDGET = 1_800_000;

setFlagsFromString(`--wasm-tiering-budget=${DEFAULT_TIERING_BUDGET * 10}`);
setFlagsFromString(`--wasm-num-compilation-tasks=${Math.max(1, availableParallelism() - 1)}`);
