// `serve PORT`: accepts TCP connections and closes them. `connect IP PORT COUNT`: opens COUNT
// connections one after another and prints the median and 90th percentile time of connect() in µs.
import net from 'node:net';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') {
  net.createServer((socket) => socket.destroy()).listen(Number(args[0]), () => console.log('listening'));
} else {
  const [ip, port, count] = [args[0], Number(args[1]), Number(args[2] ?? 1000)];
  const times = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await new Promise((resolve, reject) => {
      const socket = net.connect({host: ip, port}, () => {
        times.push(Number(process.hrtime.bigint() - start) / 1000);
        socket.destroy();
        resolve();
      });
      socket.on('error', reject);
    });
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({median: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)]}));
}
