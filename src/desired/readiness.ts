/**
 * The cluster as it serves traffic: services balance over, and headless DNS names answer with, ready
 * pods only. A pod without a readiness probe is always ready; a service with publishNotReadyAddresses
 * (as in Kubernetes) keeps every endpoint.
 */
import type {ClusterNetwork} from '../spec/types.js';

/** The cluster with the pods at `notReady` (pod IPs) taken out of every service's endpoints. */
export function withReadiness(cluster: ClusterNetwork, notReady: ReadonlySet<number>): ClusterNetwork {
  if (notReady.size === 0) return cluster;
  return {
    ...cluster,
    services: cluster.services.map((service) => service.publishNotReadyAddresses ? service : ({
      ...service,
      endpoints: service.endpoints.filter((ip) => !notReady.has(ip)),
      ports: service.ports.map((port) => ({...port, endpoints: port.endpoints.filter((e) => !notReady.has(e.ip))})),
    })),
  };
}
