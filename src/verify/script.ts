/** Node-side scripts of `netctl verify`: run a node's checks in one round trip; serve and stop responders. */
import {NETNS_DIR} from '../desired/names.js';
import {unlessRoot} from '../observe/script.js';
import {shellQuote} from '../shell/quote.js';
import type {HostTool} from '../host/packages.js';
import {NXDOMAIN_SECONDS, toolsOf, type Check, type ServedPort} from './checks.js';

export const CHECK_MARK = '@@check';
const MISSING_MARK = '@@missing';
const ABSENT_POD_MARK = '@@absent-pod';
const NOT_ROOT_MARK = '@@not-root';
/** What `--serve` runs on an endpoint's node. */
export const SERVE_TOOLS: readonly HostTool[] = ['socat', 'ss', 'setsid'];
const PIDS = '/run/netctl/verify-serve.pids';
/** Seconds a check waits for an answer. */
export const CHECK_TIMEOUT = 3;
/** Datagrams the UDP check sends within CHECK_TIMEOUT, one every CHECK_TIMEOUT / UDP_TRIES seconds. */
const UDP_TRIES = 6;

function command(check: Check): string {
  const inPod = check.pod === undefined ? '' : `ip netns exec ${shellQuote(check.pod)} `;
  switch (check.kind) {
    case 'ping':
      return `${inPod}ping -n -c 1 -W ${CHECK_TIMEOUT} ${check.target}`;
    case 'mtu':
      return `${inPod}ping -n -c 1 -W ${CHECK_TIMEOUT} -M do -s ${check.size ?? 0} ${check.target}`;
    case 'tcp':
    case 'policy':
      return `${inPod}timeout ${CHECK_TIMEOUT} bash -c ${shellQuote(`exec 3<>/dev/tcp/${check.target}/${check.port ?? 0}`)}`;
    case 'udp':
      // A connected UDP socket: the answer must come back from where the datagram went (conntrack
      // turns the endpoint's reply back into the service's address), and an ICMP port unreachable
      // fails the read with "Connection refused". A datagram may be lost (UDP), so one is sent every
      // half second, six times, each from a socket of its own: a flow that lost its first datagram may
      // lose the next ones too (measured with socat's forking UDP servers, --serve's included: 2 probes
      // of 120 got no answer to three datagrams on one socket; 0 of 200 with a socket per datagram,
      // 29 of which needed a second). Those servers also miss some datagrams of new flows, now and
      // then several in a row (measured: 13 of 150 one-second tries unanswered, three in a row once;
      // 3 of 200 half-second tries, none in a row; a Python server answered 150 of 150), hence more,
      // shorter tries in the same time. head reads the whole datagram; bash's read would take its
      // first byte and lose the rest.
      return `${inPod}timeout ${CHECK_TIMEOUT + 1} bash -c ${shellQuote(`for try in ${Array.from({length: UDP_TRIES}, (_, i) => i + 1).join(' ')}; do exec 3<>/dev/udp/${check.target}/${check.port ?? 0} || exit 1; echo netctl verify >&3 || exit 1; timeout ${CHECK_TIMEOUT / UDP_TRIES} head -n 1 <&3; rc=$?; exec 3<&-; [ $rc -eq 124 ] || exit $rc; done; exit 124`)}`;
    case 'dns':
      // Every address the name has, on one line: `10.244.1.5 10.244.2.7`.
      return `${inPod}timeout ${CHECK_TIMEOUT} getent ahostsv4 ${shellQuote(check.target)} | cut -d' ' -f1 | sort -u | tr '\\n' ' '`;
    case 'nxdomain':
      return `${inPod}timeout ${NXDOMAIN_SECONDS} getent hosts ${shellQuote(check.target)}`;
  }
}

/** Prints `@@missing TOOL` for each of the tools the node lacks, and sets $missing when one is. */
function missingToolsProbe(tools: readonly HostTool[]): string {
  return `missing=; for t in ${tools.join(' ')}; do command -v "$t" >/dev/null 2>&1 || { echo "${MISSING_MARK} $t"; missing=1; }; done`;
}

/** The tools in `@@missing TOOL` lines of a node's output. */
export function missingToolsIn(stdout: string): HostTool[] {
  return stdout.split('\n').filter((l) => l.startsWith(`${MISSING_MARK} `)).map((l) => l.slice(MISSING_MARK.length + 1).trim() as HostTool);
}

/** The uid of the node's SSH user when it is not root (no check was run), from `@@not-root UID`. */
export function notRootIn(stdout: string): string | undefined {
  return stdout.split('\n').find((l) => l.startsWith(`${NOT_ROOT_MARK} `))?.slice(NOT_ROOT_MARK.length + 1).trim();
}

/** The pods in `@@absent-pod POD` lines of a node's output: pods of the checks without a network namespace. */
export function absentPodsIn(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith(`${ABSENT_POD_MARK} `)).map((l) => l.slice(ABSENT_POD_MARK.length + 1).trim());
}

/**
 * Reports the tools the checks need and the node lacks, and the pods the checks start from that have
 * no network namespace on the node (the spec not applied), then prints `@@check ID EXIT LAST-LINE` per
 * check that has its tools; the others are not run (a missing tool is not a failed check).
 */
export function checksScript(checks: readonly Check[]): string {
  const tools = [...new Set(checks.flatMap(toolsOf))];
  const pods = [...new Set(checks.flatMap((c) => (c.pod === undefined ? [] : [c.pod])))];
  const lines = [
    unlessRoot(`echo "${NOT_ROOT_MARK} $uid"; exit 0`),
    missingToolsProbe(tools),
    ...pods.map((pod) => `[ -e ${NETNS_DIR}/${shellQuote(pod)} ] || printf '${ABSENT_POD_MARK} %s\\n' ${shellQuote(pod)}`),
  ];
  for (const check of checks) {
    const present = toolsOf(check).map((t) => `command -v ${t} >/dev/null 2>&1`).join(' && ');
    lines.push(`if ${present}; then out=$(${command(check)} 2>&1); rc=$?; printf '${CHECK_MARK} %s %s %s\\n' ${check.id} "$rc" "$(printf '%s' "$out" | tail -n 1 | tr -d '\\n')"; fi`);
  }
  return `${lines.join('\n')}\n`;
}

/** Starts a TCP or UDP responder per pod and port, each in its own session, and waits until all listen. */
export function serveScript(ports: ReadonlyMap<string, readonly ServedPort[]>): string {
  const lines = [
    unlessRoot('exit 0'),
    'mkdir -p /run/netctl',
    `: >${PIDS}`,
    missingToolsProbe(SERVE_TOOLS),
    '[ -z "$missing" ] || exit 0',
  ];
  for (const [pod, list] of ports) {
    for (const {port, protocol} of list) {
      // UDP-LISTEN answers each client from a socket of its own (UDP-RECVFROM's children share one and
      // lost about one datagram in a hundred here); a datagram that comes while it opens the next
      // socket is lost, which the checks' retries cover.
      const listen = `${protocol}-LISTEN:${port},fork,reuseaddr`;
      lines.push(`setsid ip netns exec ${shellQuote(pod)} socat ${listen} SYSTEM:'echo netctl verify' </dev/null >/dev/null 2>&1 & echo $! >>${PIDS}`);
    }
  }
  for (const [pod, list] of ports) {
    for (const {port, protocol} of list) {
      lines.push(`n=0; until ip netns exec ${shellQuote(pod)} ss -Hl${protocol === 'UDP' ? 'u' : 't'}n "sport = :${port}" | grep -q .; do n=$((n+1)); [ $n -gt 100 ] && break; sleep 0.05; done`);
    }
  }
  lines.push('echo "@@serve ready"');
  return `${lines.join('\n')}\n`;
}

/** Ends every responder serveScript started (each leads its own process group). */
export const STOP_SERVING = `[ -f ${PIDS} ] && for pid in $(cat ${PIDS}); do kill -- -"$pid" 2>/dev/null; done; rm -f ${PIDS}\n`;
