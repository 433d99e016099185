/**
 * The network policy truth table of `netctl verify`: TCP connections the policies of the spec decide,
 * made for real from pods and compared with what the spec says (allowed or denied). For each pod a
 * policy isolates, one pod of each kind (namespace and labels) tries the ports the policies name, and
 * one port none admits; through one service too, where the policy judges the endpoint and its target
 * port. These checks need responders (`--serve`): a denied connection is refused like a closed port.
 */
import {formatAddress} from '../net/ipv4.js';
import {portLabel, virtualServices} from '../desired/services.js';
import {decide, isolatingPolicies, namedPort, type Decision} from '../spec/policy-semantics.js';
import type {ClusterNetwork, Pod, Protocol} from '../spec/types.js';
import {podNetns} from '../desired/names.js';
import {podRef} from '../spec/namespaces.js';
import type {Check} from './checks.js';

/** A port no policy is likely to admit: the "everything else" of the truth table. */
export const UNLISTED_PORT = 65000;

/** Whether policies isolate the pod in the direction a check's packets go: its pings would be refused. */
export function isolated(cluster: ClusterNetwork, from: Pod | undefined, to: Pod | undefined): boolean {
  return (from !== undefined && isolatingPolicies(cluster, from, 'egress').length > 0) || (to !== undefined && isolatingPolicies(cluster, to, 'ingress').length > 0);
}

/** Whether the policies let `client` reach every endpoint of a service port (on its target port). */
export function reachesEndpoints(cluster: ClusterNetwork, client: Pod, endpoints: readonly {ip: number; port: number}[], protocol: Protocol = 'TCP'): boolean {
  return endpoints.every((e) => decisionFor(cluster, client, e.ip, e.port, protocol).allowed);
}

function decisionFor(cluster: ClusterNetwork, client: Pod, ip: number, port: number, protocol: Protocol = 'TCP'): Decision {
  const pod = cluster.pods.find((p) => p.ip === ip);
  return decide(cluster, {from: {ip: client.ip, pod: client}, to: {ip, ...(pod === undefined ? {} : {pod})}, protocol, port});
}

/** The TCP ports the policies selecting the pod name for it, as destination: numbers, range ends, its named ports. */
function namedPorts(cluster: ClusterNetwork, pod: Pod): number[] {
  const ports = new Set<number>();
  for (const policy of cluster.networkPolicies) {
    for (const rule of [...policy.ingress, ...policy.egress]) {
      for (const port of rule.ports.filter((p) => p.protocol === 'TCP')) {
        if (typeof port.port === 'number') {
          ports.add(port.port);
          if (port.endPort !== undefined) ports.add(port.endPort);
        } else if (typeof port.port === 'string') {
          const number = namedPort(pod, port.port, 'TCP');
          if (number !== undefined) ports.add(number);
        }
      }
    }
  }
  return [...ports, UNLISTED_PORT].sort((a, b) => a - b);
}

/** One pod of each kind (namespace, labels, same node as `near` or not), so the table stays small. */
function kindsOf(pods: readonly Pod[], near: Pod): Pod[] {
  const seen = new Set<string>();
  return pods.filter((p) => {
    const kind = JSON.stringify([p.namespace, Object.entries(p.labels).sort(), p.node === near.node]);
    if (seen.has(kind)) return false;
    seen.add(kind);
    return true;
  });
}

export function policyChecks(cluster: ClusterNetwork, nodes: readonly string[], numbered: number): Check[] {
  if (cluster.networkPolicies.length === 0) return [];
  const checks: Check[] = [];
  const add = (check: Omit<Check, 'id'>) => checks.push({...check, id: `c${numbered + checks.length + 1}`});
  const seen = new Set<string>();
  const connect = (client: Pod, server: Pod, port: number) => {
    const key = `${podRef(client)} ${podRef(server)} ${port}`;
    if (client === server || !nodes.includes(client.node) || seen.has(key)) return;
    seen.add(key);
    const decision = decisionFor(cluster, client, server.ip, port);
    const target = formatAddress(server.ip);
    add({
      kind: 'policy', node: client.node, pod: podNetns(client), target, port, endpointNodes: [server.node], allowed: decision.allowed, reason: decision.reason,
      description: `policy: ${client.namespace}/${client.name} → ${server.namespace}/${server.name} (${target}) TCP ${port} ${decision.allowed ? 'allowed' : 'denied'}`,
    });
  };
  for (const server of cluster.pods.filter((p) => isolatingPolicies(cluster, p, 'ingress').length > 0)) {
    for (const client of kindsOf(cluster.pods.filter((p) => p !== server), server)) for (const port of namedPorts(cluster, server)) connect(client, server, port);
  }
  for (const client of cluster.pods.filter((p) => isolatingPolicies(cluster, p, 'egress').length > 0)) {
    for (const server of kindsOf(cluster.pods.filter((p) => p !== client), client)) for (const port of namedPorts(cluster, server)) connect(client, server, port);
  }
  // Through one service (the first whose endpoints a policy isolates): its cluster IP, judged on the
  // endpoint and target port behind it.
  const through = virtualServices(cluster).flatMap((service) => service.ports.filter((p) => p.protocol === 'TCP' && p.endpoints.length > 0).map((port) => ({service, port})))
    .find(({port}) => port.endpoints.some((e) => cluster.pods.some((p) => p.ip === e.ip && isolatingPolicies(cluster, p, 'ingress').length > 0)));
  if (through !== undefined) {
    const {service, port} = through;
    const servers = cluster.pods.filter((p) => port.endpoints.some((e) => e.ip === p.ip));
    for (const client of kindsOf(cluster.pods.filter((p) => nodes.includes(p.node) && !servers.includes(p)), servers[0]!)) {
      const decisions = port.endpoints.map((e) => decisionFor(cluster, client, e.ip, e.port));
      // A client some endpoints admit and others refuse would pass or fail by chance: left out.
      if (new Set(decisions.map((d) => d.allowed)).size !== 1) continue;
      const clusterIP = formatAddress(service.clusterIP);
      add({
        kind: 'policy', node: client.node, pod: podNetns(client), target: clusterIP, port: port.port, allowed: decisions[0]!.allowed, reason: decisions[0]!.reason,
        endpointNodes: [...new Set(servers.map((s) => s.node))],
        description: `policy through service ${portLabel(service, port)}: ${client.namespace}/${client.name} → ${clusterIP}:${port.port} ${decisions[0]!.allowed ? 'allowed' : 'denied'}`,
      });
    }
  }
  return checks;
}

/** TCP ports each pod must listen on for the policy checks (`--serve`). */
export function policyServedPorts(checks: readonly Check[], cluster: ClusterNetwork): Map<string, number[]> {
  const served = new Map<string, Set<number>>();
  for (const check of checks.filter((c) => c.kind === 'policy')) {
    const ip = check.target;
    const service = virtualServices(cluster).find((s) => formatAddress(s.clusterIP) === ip);
    const targets = service === undefined
      ? [{pod: cluster.pods.find((p) => formatAddress(p.ip) === ip), port: check.port!}]
      : service.ports.filter((p) => p.port === check.port).flatMap((p) => p.endpoints.map((e) => ({pod: cluster.pods.find((q) => q.ip === e.ip), port: e.port})));
    for (const {pod, port} of targets) {
      if (pod === undefined) continue;
      served.set(podNetns(pod), (served.get(podNetns(pod)) ?? new Set()).add(port));
    }
  }
  return new Map([...served].map(([pod, ports]) => [pod, [...ports].sort((a, b) => a - b)]));
}
