// Registered with `node --import`: appends the URL of every module the process
// loads to the file named by MILLRACE_RECORD_LOADS, so a test can see which
// packages a code path pulled in (ES modules leave no require.cache to read).
import { register } from 'node:module';

register('./module-load-hooks.mjs', import.meta.url, {
  data: { file: process.env.MILLRACE_RECORD_LOADS },
});
