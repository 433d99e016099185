/**
 * A named port in a NetworkPolicy rule resolves on the destination pods (for ingress the pods the
 * policy selects, for egress the pods its peers cover), each to its own port of that name and
 * protocol. Kubernetes takes a name no such pod declares silently, and the port admits nothing; a
 * warning says so, as for a service's named targetPort.
 */
import {warning, type Diagnostic} from './diagnostics.js';
import {namedPort, policyName, ruleDestinations, type Direction} from './policy-semantics.js';
import type {ClusterNetwork} from './types.js';

export function checkPolicyPortNames(cluster: ClusterNetwork, report: (d: Diagnostic) => void): void {
  cluster.networkPolicies.forEach((policy, i) => {
    for (const direction of ['ingress', 'egress'] as const satisfies readonly Direction[]) {
      policy[direction].forEach((rule, j) => {
        rule.ports.forEach((port, k) => {
          if (typeof port.port !== 'string') return;
          const name = port.port;
          if (ruleDestinations(cluster, policy, direction, rule).some((pod) => namedPort(pod, name, port.protocol) !== undefined)) return;
          const whose = direction === 'ingress' ? 'selected by the policy' : 'this rule reaches';
          report(warning('policy', ['spec', 'networkPolicies', i, direction, j, 'ports', k, 'port'],
            `policy ${policyName(policy)}: no pod ${whose} declares a ${port.protocol} port named ${name}, so this port admits nothing (as in Kubernetes)`));
        });
      });
    }
  });
}
