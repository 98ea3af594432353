/**
 * The stored name of a NamedLeases lease: apart from the leases millrace
 * keeps for itself (`allocator`, `scheduler`), whatever a caller names it.
 */
export function namedLease(name: string): string {
  return `named:${name}`;
}
