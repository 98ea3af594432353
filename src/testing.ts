// Test helpers for millrace users: the in-memory reference provider.
export { memory, MEMORY_CAPABILITIES } from './providers/memory/memory-provider.js';
export type { MemoryOptions, MemoryProvider } from './providers/memory/memory-provider.js';
