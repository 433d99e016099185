/**
 * `netctl preflight`: every node read once (the read plan and apply make, host checks judged from it),
 * then, in overlay mode, VXLAN between the nodes proved with packets.
 */
import {formatAddress} from '../net/ipv4.js';
import {reachProbeScript, reachSetupScript, reachVni, reachedFrom} from '../observe/vxlan-reach.js';
import {hostChecks, type HostCheck} from '../plan/preflight.js';
import type {ClusterNetwork, Node} from '../spec/types.js';
import {readCluster} from './engine.js';
import {mapLimit} from './limit.js';
import type {Session} from './session.js';

export interface NodePreflight {
  readonly node: string;
  readonly checks: readonly HostCheck[];
}

export async function preflight(session: Session, cluster: ClusterNetwork, parallelism: number): Promise<NodePreflight[]> {
  const reads = await readCluster(session, cluster, 'apply', parallelism, {withoutProbes: true, preflight: true});
  const results = new Map<string, HostCheck[]>();
  for (const read of reads) {
    if ('observation' in read) results.set(read.node.name, hostChecks(cluster, read.node, read.observation));
    else {
      const outcome = read.outcome;
      const unreachable = outcome.status === 'unreachable';
      const known = outcome.status === 'planned' ? undefined : outcome.fix;
      results.set(read.node.name, [{
        check: unreachable ? 'ssh' : 'read',
        status: 'fail',
        detail: outcome.errors.join('; '),
        fix: known ?? (unreachable ? 'check the node\'s address and ssh settings in the spec, that sshd runs there, and that this machine\'s key is authorized' : 'see the error; netctl needs root on the node'),
      }]);
    }
  }
  if (cluster.mode === 'overlay') {
    // Nodes that could not be read, or lack the tools or the kernel for VXLAN, take no part.
    const testable = cluster.nodes.filter((n) => results.get(n.name)?.every((c) => c.status !== 'fail' || !['ssh', 'read', 'tools', 'kernel'].includes(c.check)) === true);
    for (const [node, check] of await vxlanReach(session, cluster, testable, parallelism)) results.get(node)!.push(check);
  }
  return cluster.nodes.filter((n) => results.has(n.name)).map((n) => ({node: n.name, checks: results.get(n.name)!}));
}

/** Per receiving node: whether every other node's VXLAN packets arrived. */
async function vxlanReach(session: Session, cluster: ClusterNetwork, nodes: readonly Node[], parallelism: number): Promise<Map<string, HostCheck>> {
  const checks = new Map<string, HostCheck>();
  if (nodes.length < 2) return checks;
  const port = cluster.overlay.port;
  const addressOf = (n: Node) => formatAddress(n.address);
  const failed = (node: string, error: unknown) => {
    const detail = error instanceof Error ? error.message : String(error);
    checks.set(node, {check: 'vxlan', status: 'fail', detail: `could not test VXLAN: ${detail}`, fix: 'check that the node can create VXLAN links (see kernel)'});
  };
  const set = await mapLimit(nodes, parallelism, async (node) => {
    try {
      const script = reachSetupScript({vni: reachVni(cluster.overlay.vni), port, local: addressOf(node), peers: nodes.filter((p) => p !== node).map(addressOf)});
      const result = await session.transport(node.name).run(script);
      if (result.exitCode !== 0) throw new Error((result.stdout + result.stderr).trim().split('\n').pop() ?? `exit ${result.exitCode}`);
      return node;
    } catch (error) {
      failed(node.name, error);
      return undefined;
    }
  });
  const senders = set.filter((n): n is Node => n !== undefined);
  await mapLimit(senders, parallelism, async (node) => {
    try {
      const result = await session.transport(node.name).run(reachProbeScript(senders.length - 1));
      const arrived = reachedFrom(result.stdout);
      const missing = senders.filter((p) => p !== node && !arrived.has(addressOf(p)));
      if (missing.length === 0) {
        checks.set(node.name, {check: 'vxlan', status: 'pass', detail: `VXLAN (UDP ${port}) arrives from ${senders.length - 1 === 1 ? 'the other node' : `all ${senders.length - 1} other nodes`}`});
      } else {
        const names = missing.map((p) => `${p.name} (${addressOf(p)})`).join(', ');
        checks.set(node.name, {check: 'vxlan', status: 'fail', detail: `VXLAN packets from ${names} to UDP ${port} do not arrive: a firewall on this node or on the way drops them`, fix: `allow UDP ${port} from the other nodes (iptables -S INPUT, nft list ruleset, cloud security groups)`});
      }
    } catch (error) {
      failed(node.name, error);
    }
  });
  return checks;
}
