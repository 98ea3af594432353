/** Delayed events on the memory provider, the reference. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Provider } from '../../src/core/contracts/provider.js';
import { UnsupportedError } from '../../src/core/errors.js';
import { Millrace } from '../../src/millrace.js';
import { memory } from '../../src/testing.js';
import { at, delayedEventsSuite, logged } from '../support/delayed-suite.js';
import { memoryBackend } from '../support/memory-backend.js';
import { recordingLogger } from '../support/wait.js';

const opened: Millrace[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((m) => m.close()));
});

delayedEventsSuite('memory', () => Promise.resolve(memoryBackend()));

describe('delayed events where the provider cannot delay them', () => {
  it('are refused, and nothing is written', async () => {
    const provider = await memory().open();
    const limited: Provider = Object.assign(Object.create(provider) as Provider, {
      capabilities: { ...provider.capabilities, delayedEvents: false },
      delayed: undefined,
    });
    const millrace = await Millrace.open({ provider: limited, logger: recordingLogger() });
    opened.push(millrace);
    await expect(
      millrace.publish({
        stream: 'order-1',
        subject: 'order.created',
        data: 1,
        deliverAt: at(1000),
      }),
    ).rejects.toBeInstanceOf(UnsupportedError);
    await expect(millrace.scheduledCount()).rejects.toBeInstanceOf(UnsupportedError);
    expect(await logged(millrace)).toEqual([]);
  });
});
