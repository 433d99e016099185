// Before the end-to-end tests: as root on Linux, the lab's own tool check installs what the lab needs
// (netctl lab tools), so the tests never skip for a missing tool. A check that cannot complete fails
// the run instead of skipping it.
import {execFileSync} from 'node:child_process';
import {join} from 'node:path';

export default function ensureLabTools() {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return;
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'run.cjs');
  execFileSync(process.execPath, [bin, 'lab', 'tools'], {stdio: ['ignore', 'ignore', 'inherit']});
}
