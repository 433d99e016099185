/**
 * Kubernetes' `trafficDistribution: PreferSameNode` (KEP-3015) in the service rules every node shares.
 * Where a port's traffic policy is Cluster, a client on a node that holds endpoints of the port goes
 * to those (the node's chain, NETCTL-SVL-<hash>, as with traffic policy Local), and any other client
 * to every endpoint. The client's node is told as the traffic policies tell it: cluster IP traffic by
 * its source (the node's pod CIDR or its address), node-port traffic by the node address it arrives
 * at. External-IP traffic, which no address ties to a node, goes to every endpoint.
 *
 * As kube-proxy does, only when every endpoint of the port has a node: an endpoint that is no pod of
 * the spec (the service's extra `endpoints`) has no node hint in Kubernetes, and then no preference
 * is made. PreferSameZone (PreferClose) needs zones, which netctl's nodes do not have: no effect.
 */
import type {LocalRules, NodesOf, PolicedPort} from './traffic-policy.js';

export interface SameNodeRules {
  /** The port's chain after its masquerade rule, before it balances over every endpoint. */
  readonly clusterIP: readonly string[][];
  /** NETCTL-NODEPORTS's rules for the port after its masquerade mark, before the jump that balances over every endpoint. */
  readonly nodePort: readonly string[][];
}

/** `local`: what the port's traffic policies make of it (Local takes precedence). */
export function sameNodeRules(p: PolicedPort, nodesOf: NodesOf, local: LocalRules): SameNodeRules | undefined {
  const {service, port} = p;
  if (service.trafficDistribution !== 'PreferSameNode') return undefined;
  const nodes = nodesOf();
  const onNodes = nodes.reduce((sum, l) => sum + l.endpoints.length, 0);
  if (onNodes === 0 || onNodes !== port.endpoints.length) return undefined;
  const said = p.said('prefer same node');
  const clusterIP = local.clusterIP !== undefined ? []
    : nodes.flatMap((l) => [['-s', l.podCIDR, ...said, '-j', l.chain], ['-s', l.address, ...said, '-j', l.chain]]);
  const nodePort = port.nodePort === undefined || local.nodePort !== undefined ? []
    : nodes.map((l) => ['-d', l.address, ...p.protocol, ...said, ...p.match(port.nodePort!), '-j', l.chain]);
  return clusterIP.length + nodePort.length === 0 ? undefined : {clusterIP, nodePort};
}
