// Preloaded into netctl by bench/ssh-floor (NODE_OPTIONS=-r): at exit, appends to the file
// NETCTL_BENCH_CPU names one line: the CPU time netctl's own process used (user + system, in ms; its ssh
// clients not included), how many ssh clients it started, the time from the start of the first to the
// return of the last `spawn` of one (ms), and how long Node's thread was blocked in those spawns in all
// (ms: libuv returns once the child has exec'd, which waits for a core the other clients may hold).
'use strict';
const {appendFileSync} = require('node:fs');
const {ChildProcess} = require('node:child_process');
const {performance} = require('node:perf_hooks');

let clients = 0;
let first;
let last;
let blocked = 0;
const spawn = ChildProcess.prototype.spawn;
ChildProcess.prototype.spawn = function timedSpawn(options) {
  const start = performance.now();
  try {
    return spawn.call(this, options);
  } finally {
    if (options.file === 'ssh') {
      const end = performance.now();
      clients += 1;
      first ??= start;
      last = end;
      blocked += end - start;
    }
  }
};

process.on('exit', () => {
  const {user, system} = process.cpuUsage();
  const window = first === undefined ? 0 : last - first;
  appendFileSync(process.env.NETCTL_BENCH_CPU, `${Math.round((user + system) / 1000)} ${clients} ${Math.round(window)} ${Math.round(blocked)}\n`);
});
