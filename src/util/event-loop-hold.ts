/**
 * Keeps Node's event loop turning while the only work pending is promises.
 * Compiling PGlite's WebAssembly and running its queries (promises over
 * synchronous work) hold no handle, so Node finds its loop empty, leaves it,
 * and before going back waits on the main thread for every job queued on
 * V8's background threads (the optimizing compiles of PostgreSQL's hot
 * functions, hundreds of milliseconds of them after a start). Held from the
 * start of an embedded open to the server's listening, the server answered
 * its first request 0.01 s after saying it listened instead of 0.15 s.
 */
export function holdEventLoop(): () => void {
  const timer = setInterval(() => undefined, 2 ** 30);
  return () => clearInterval(timer);
}
