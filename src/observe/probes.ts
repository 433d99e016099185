/**
 * Readiness probes, run on the pod's own node against the pod, as a kubelet runs them: a TCP connect
 * to the pod's IP, an HTTP GET (status 200-399 passes), or a command inside the pod's network
 * namespace. Each is bounded by its timeoutSeconds. They ride in the node's read round trip, or (in
 * the reconcile loop) in a round trip of their own over the held connection.
 */
import {NETNS_DIR, podNetns} from '../desired/names.js';
import {formatAddress} from '../net/ipv4.js';
import type {HttpHeader, Pod, Probe} from '../spec/types.js';
import {shellQuote} from '../shell/quote.js';

export interface ProbeResult {
  readonly ready: boolean;
  /** Why not, for people: `connection refused`, `HTTP 503`, `exit 1`, `no answer within 1 s`. */
  readonly detail: string;
}

/**
 * bash opens TCP connections itself (/dev/tcp), so no HTTP client needs to be installed on the node:
 * `HTTP_GET HOST PORT REQUEST` sends the request and prints the status line.
 */
const HTTP_GET = 'exec 3<>"/dev/tcp/$1/$2" || exit 2; printf %s "$3" >&3; head -n 1 <&3';

/**
 * An HTTP probe's request, as a kubelet makes it: the probe's httpHeaders, and Host (the address and
 * port connected to), User-Agent and Accept (`*\/*`) unless those set them; an empty Accept is sent
 * as none. HTTP/1.0, so the pod closes the connection after its answer.
 */
export function httpRequest(host: string, port: number, path: string, headers: readonly HttpHeader[] = []): string {
  const given = (name: string) => headers.some((h) => h.name.toLowerCase() === name);
  const lines = [`GET ${path} HTTP/1.0`];
  if (!given('host')) lines.push(`Host: ${host}:${port}`);
  if (!given('user-agent')) lines.push('User-Agent: netctl-probe');
  if (!given('accept')) lines.push('Accept: */*');
  for (const {name, value} of headers) if (name.toLowerCase() !== 'accept' || value !== '') lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function command(pod: Pod, probe: Probe): string {
  const ip = formatAddress(pod.ip);
  const timeout = `timeout ${probe.timeoutSeconds}`;
  switch (probe.action.kind) {
    case 'tcpSocket':
      return `${timeout} bash -c ${shellQuote('exec 3<>"/dev/tcp/$1/$2"')} probe ${shellQuote(probe.action.host ?? ip)} ${probe.action.port}`;
    case 'httpGet': {
      const {host = ip, port, path, headers} = probe.action;
      return `${timeout} bash -c ${shellQuote(HTTP_GET)} probe ${shellQuote(host)} ${port} ${shellQuote(httpRequest(host, port, path, headers))}`;
    }
    case 'exec':
      return `ip netns exec ${shellQuote(podNetns(pod))} ${timeout} ${probe.action.command.map(shellQuote).join(' ')}`;
  }
}

/** What a probe section holds when the pod has no network namespace on its node: it was not run. */
const ABSENT = 'absent';

/**
 * Script lines that probe these pods once, each in its own `@@netctl probe NETNS` section (the pod's network namespace). A pod without
 * its network namespace (not created yet, or removed by hand) is not probed, as a kubelet probes no
 * container that is not running: it is not ready, and nothing waits for a probe's timeout.
 */
export function probeScript(pods: readonly Pod[]): string[] {
  return pods.filter((p) => p.readinessProbe !== undefined).map((pod) =>
    `printf '\\n@@netctl %s\\n' ${shellQuote(`probe ${podNetns(pod)}`)}; if [ -e ${NETNS_DIR}/${shellQuote(podNetns(pod))} ]; then ` +
    `out=$(${command(pod, pod.readinessProbe!)} 2>&1 </dev/null); rc=$?; printf 'exit %s %s\\n' "$rc" "$(printf '%s' "$out" | tail -n 1)"; else echo ${ABSENT}; fi`);
}

/** What one probe's `exit N LAST-LINE` means. */
export function probeResult(probe: Probe, body: string): ProbeResult {
  if (body.trim() === ABSENT) return {ready: false, detail: 'not probed: the pod has no network namespace on its node'};
  const match = /^exit (\d+) ?(.*)$/.exec(body.trim());
  const exit = Number(match?.[1] ?? 1);
  const output = (match?.[2] ?? '').trim();
  if (exit === 124) return {ready: false, detail: `no answer within ${probe.timeoutSeconds} s`};
  const refused = /refused/i.test(output) ? 'connection refused' : /no route|unreachable/i.test(output) ? 'no route to the pod' : undefined;
  switch (probe.action.kind) {
    case 'tcpSocket':
      return exit === 0 ? {ready: true, detail: 'connected'} : {ready: false, detail: refused ?? (output || `exit ${exit}`)};
    case 'httpGet': {
      const status = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(output)?.[1]);
      if (exit === 0 && status >= 200 && status < 400) return {ready: true, detail: `HTTP ${status}`};
      if (status > 0) return {ready: false, detail: `HTTP ${status}`};
      return {ready: false, detail: refused ?? (output || 'no HTTP answer')};
    }
    case 'exec':
      return exit === 0 ? {ready: true, detail: 'exit 0'} : {ready: false, detail: `exit ${exit}${output === '' ? '' : `: ${output}`}`};
  }
}

/** What each probe printed (`exit N LAST-LINE`), by pod, from the sections of a node's output. */
export function probeOutputs(sections: ReadonlyMap<string, string>): Map<string, string> {
  const outputs = new Map<string, string>();
  for (const [name, body] of sections) if (name.startsWith('probe ')) outputs.set(name.slice('probe '.length), body.trim());
  return outputs;
}
