import { Millrace } from '../../src/millrace.js';
import { memory } from '../../src/testing.js';
import { deliverySuite } from '../support/delivery-suite.js';
import { recordingLogger } from '../support/wait.js';

deliverySuite(() => {
  const factory = memory();
  const opened: Millrace[] = [];
  return Promise.resolve({
    async open() {
      const millrace = await Millrace.open({ provider: factory, logger: recordingLogger() });
      opened.push(millrace);
      return millrace;
    },
    async close() {
      await Promise.all(opened.map((m) => m.close()));
    },
  });
});
