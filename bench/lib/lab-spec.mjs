// A lab spec: NODES nodes (203.0.113.1..), PODS_PER_NODE pods each, overlay.
const nodes = Number(process.env.NODES ?? 3);
const pods = Number(process.env.PODS_PER_NODE ?? 2);
const lines = [
  'apiVersion: netctl/v1', 'kind: ClusterNetwork', 'metadata: {name: bench}', 'spec:', '  mode: overlay',
  '  clusterCIDR: 10.244.0.0/16', `  ssh: {configFile: ${process.env.LAB_DIR ?? '/tmp/netctl-lab'}/ssh_config}`, '  nodes:',
  ...Array.from({length: nodes}, (_, i) => `    - {name: node${i + 1}, address: 203.0.113.${i + 1}/24}`),
  '  pods:',
  ...Array.from({length: nodes * pods}, (_, i) => `    - {name: pod-${i}, node: node${(i % nodes) + 1}}`),
];
process.stdout.write(`${lines.join('\n')}\n`);
