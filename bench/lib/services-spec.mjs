// A one-node lab spec with SERVICES services of ENDPOINTS endpoints each; CHANGED=1 removes one endpoint.
const services = Number(process.env.SERVICES ?? 1000);
const endpoints = Number(process.env.ENDPOINTS ?? 10);
const changed = process.env.CHANGED === '1';
const lines = [
  'apiVersion: netctl/v1',
  'kind: ClusterNetwork',
  'metadata: {name: bench}',
  'spec:',
  '  mode: overlay',
  '  clusterCIDR: 10.244.0.0/16',
  '  serviceCIDR: 10.96.0.0/16',
  `  ssh: {configFile: ${process.env.LAB_DIR ?? '/tmp/netctl-lab'}/ssh_config}`,
  '  nodes:',
  '    - {name: node1, address: 203.0.113.1/24, podCIDR: 10.244.0.0/24}',
  '  services:',
];
for (let s = 0; s < services; s++) {
  const ips = Array.from({length: endpoints}, (_, e) => `10.244.${1 + Math.floor(s / 25)}.${(s % 25) * 10 + e + 1}`);
  if (changed && s === 0) ips.pop();
  lines.push(`    - {name: svc-${s}, endpoints: [${ips.join(', ')}], ports: [{name: http, port: 80, targetPort: 8080}]}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
