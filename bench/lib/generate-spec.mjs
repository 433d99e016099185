// Writes a large valid spec to stdout: NODES nodes, PODS pods and SERVICES services (environment).
import {stringify} from 'yaml';

const nodes = Number(process.env.NODES ?? 1000);
const pods = Number(process.env.PODS ?? 10000);
const services = Number(process.env.SERVICES ?? 2000);

const spec = {
  apiVersion: 'netctl/v1',
  kind: 'ClusterNetwork',
  metadata: {name: 'bench'},
  spec: {
    mode: 'overlay',
    clusterCIDR: '10.0.0.0/8',
    serviceCIDR: '172.20.0.0/16',
    ssh: {user: 'root', connectTimeout: 5},
    nodes: Array.from({length: nodes}, (_, i) => ({
      name: `node-${i}`,
      address: `172.16.${Math.floor(i / 250)}.${(i % 250) + 1}/16`,
    })),
    pods: Array.from({length: pods}, (_, i) => ({
      name: `pod-${i}`,
      node: `node-${i % nodes}`,
      labels: {app: `app-${i % services}`, tier: i % 2 === 0 ? 'web' : 'api'},
    })),
    services: Array.from({length: services}, (_, i) => ({
      name: `svc-${i}`,
      selector: {app: `app-${i}`},
      ports: [{name: 'http', port: 80, targetPort: 8080, ...(i < 2000 ? {nodePort: 30000 + i} : {})}],
    })),
  },
};
process.stdout.write(`# yaml-language-server: $schema=../schemas/netctl.schema.json\n${stringify(spec)}`);
