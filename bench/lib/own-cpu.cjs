// Preloaded into netctl by bench/ssh-floor (NODE_OPTIONS=-r): at exit, appends the CPU time netctl's own
// process used (user + system, in ms; its ssh clients not included) to the file NETCTL_BENCH_CPU names.
'use strict';
const {appendFileSync} = require('node:fs');

process.on('exit', () => {
  const {user, system} = process.cpuUsage();
  appendFileSync(process.env.NETCTL_BENCH_CPU, `${Math.round((user + system) / 1000)}\n`);
});
