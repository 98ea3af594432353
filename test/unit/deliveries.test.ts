import { deliverySuite } from '../support/delivery-suite.js';
import { memoryBackend } from '../support/memory-backend.js';
import { recordingLogger } from '../support/wait.js';

deliverySuite(() => {
  const backend = memoryBackend();
  return Promise.resolve({
    open: () => backend.open({ logger: recordingLogger() }),
    close: () => backend.close(),
  });
});
