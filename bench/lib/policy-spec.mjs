// A one-node lab spec with PODS pods in 10 namespaces and POLICIES network policies (environment);
// CHANGED=1 changes one policy's port; POLICIES=0 leaves them out. Each policy selects the pods of one
// app in its namespace and admits another app's pods from every namespace on TCP 8080 and the named
// port http; every fourth also isolates egress, admitting DNS to team-0 namespaces.
import {stringify} from 'yaml';

const pods = Number(process.env.PODS ?? 1000);
const policies = Number(process.env.POLICIES ?? 200);
const changed = process.env.CHANGED === '1';
const apps = 50;

const spec = {
  apiVersion: 'netctl/v1',
  kind: 'ClusterNetwork',
  metadata: {name: 'bench-policy'},
  spec: {
    mode: 'overlay',
    clusterCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/16',
    ssh: {configFile: `${process.env.LAB_DIR ?? '/tmp/netctl-lab'}/ssh_config`},
    namespaces: Array.from({length: 10}, (_, n) => ({name: `ns-${n}`, labels: {team: `team-${n % 3}`}})),
    nodes: [{name: 'node1', address: '203.0.113.1/24', podCIDR: '10.244.0.0/20'}],
    pods: Array.from({length: pods}, (_, i) => ({
      name: `pod-${i}`,
      node: 'node1',
      namespace: `ns-${i % 10}`,
      labels: {app: `a${i % apps}`},
      ports: [{name: 'http', containerPort: 8080}],
    })),
    networkPolicies: Array.from({length: policies}, (_, k) => ({
      name: `policy-${k}`,
      namespace: `ns-${k % 10}`,
      podSelector: {matchLabels: {app: `a${k % apps}`}},
      ingress: [{
        from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: `a${(k + 1) % apps}`}}}],
        ports: [{port: changed && k === 0 ? 8081 : 8080}, {port: 'http'}],
      }],
      ...(k % 4 === 0 ? {egress: [{to: [{namespaceSelector: {matchLabels: {team: 'team-0'}}}], ports: [{protocol: 'UDP', port: 53}]}]} : {}),
    })),
  },
};
process.stdout.write(stringify(spec));
