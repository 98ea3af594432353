import { describe } from 'vitest';
import { deliverySuite } from '../support/delivery-suite.js';
import { PROVIDERS, openBackend } from '../support/providers.js';
import { recordingLogger } from '../support/wait.js';

describe.each(PROVIDERS)('delivery rules on %s', (name) => {
  deliverySuite(async () => {
    const backend = await openBackend(name);
    return {
      open: () => backend.open({ logger: recordingLogger() }),
      close: () => backend.close(),
    };
  });
});
