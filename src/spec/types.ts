/**
 * The spec as written (SpecDocument, exactly what schemas/netctl.schema.json admits) and as resolved
 * (ClusterNetwork: defaults filled in, ssh settings merged, pod CIDRs, pod IPs and cluster IPs allocated).
 */
import type {Cidr} from '../net/ipv4.js';

export type Mode = 'overlay' | 'routing' | 'underlay';
export type UnderlayDriver = 'routed' | 'ipvlan' | 'macvlan';
export type Transport = 'ssh' | 'local';
export type Protocol = 'TCP' | 'UDP';
export type SessionAffinity = 'None' | 'ClientIP';
export type StrictHostKeyChecking = 'yes' | 'accept-new' | 'no';
export type Labels = Readonly<Record<string, string>>;

export interface SshSettings {
  readonly host?: string;
  readonly user?: string;
  readonly port?: number;
  readonly identityFile?: string;
  readonly configFile?: string;
  readonly strictHostKeyChecking?: StrictHostKeyChecking;
  readonly knownHostsFile?: string;
  readonly proxyJump?: string;
  readonly connectTimeout?: number;
  readonly compression?: boolean;
}

export interface NodeDocument {
  readonly name: string;
  readonly address: string;
  readonly interface?: string;
  readonly podCIDR?: string;
  readonly transport?: Transport;
  readonly ssh?: SshSettings;
}

export interface ContainerPortDocument {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol?: Protocol;
  /** Kubernetes' host port, which netctl refuses with the reason. */
  readonly hostPort?: number;
  readonly hostIP?: string;
}

export interface HttpHeader {
  readonly name: string;
  readonly value: string;
}

export interface ProbeDocument {
  readonly tcpSocket?: {readonly port: number | string; readonly host?: string};
  readonly httpGet?: {
    readonly path?: string;
    readonly port: number | string;
    readonly host?: string;
    readonly scheme?: 'HTTP' | 'HTTPS';
    readonly httpHeaders?: readonly HttpHeader[];
  };
  readonly exec?: {readonly command: readonly string[]};
  readonly grpc?: {readonly port: number; readonly service?: string};
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly successThreshold?: number;
  readonly failureThreshold?: number;
}

export interface PodDocument {
  readonly name: string;
  readonly node: string;
  readonly namespace?: string;
  readonly ip?: string;
  readonly labels?: Labels;
  readonly hostname?: string;
  readonly subdomain?: string;
  readonly ports?: readonly ContainerPortDocument[];
  readonly readinessProbe?: ProbeDocument;
  readonly dnsPolicy?: DnsPolicy | 'ClusterFirstWithHostNet';
  readonly dnsConfig?: {
    readonly nameservers?: readonly string[];
    readonly searches?: readonly string[];
    readonly options?: readonly DnsOption[];
  };
}

/** Kubernetes' pod dnsPolicy, as netctl's pods take it: ClusterFirstWithHostNet is ClusterFirst. */
export type DnsPolicy = 'ClusterFirst' | 'Default' | 'None';

export interface DnsOption {
  readonly name: string;
  readonly value?: string;
}

/** Kubernetes' pod dnsConfig: added to what the dnsPolicy gives (desired/pod-resolvers.ts). */
export interface PodDnsConfig {
  readonly nameservers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly DnsOption[];
}

export interface ServicePortDocument {
  readonly name?: string;
  readonly protocol?: Protocol;
  readonly port: number;
  /** A port number, or the name of a port the selected pods declare. */
  readonly targetPort?: number | string;
  readonly nodePort?: number;
  /** Kubernetes' application protocol of the port: informational. */
  readonly appProtocol?: string;
}

export interface NamespaceDocument {
  readonly name: string;
  readonly labels?: Labels;
}

export interface DnsDocument {
  readonly domain?: string;
  readonly upstream?: readonly string[];
}

export type PolicyProtocol = 'TCP' | 'UDP' | 'SCTP';
export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
export type PolicyType = 'Ingress' | 'Egress';

export interface LabelSelectorDocument {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly {readonly key: string; readonly operator: SelectorOperator; readonly values?: readonly string[]}[];
}

export interface PolicyPeerDocument {
  readonly podSelector?: LabelSelectorDocument;
  readonly namespaceSelector?: LabelSelectorDocument;
  readonly ipBlock?: {readonly cidr: string; readonly except?: readonly string[]};
}

export interface PolicyPortDocument {
  readonly protocol?: PolicyProtocol;
  readonly port?: number | string;
  readonly endPort?: number;
}

export interface NetworkPolicyDocument {
  readonly name: string;
  readonly namespace?: string;
  readonly podSelector?: LabelSelectorDocument;
  readonly policyTypes?: readonly PolicyType[];
  readonly ingress?: readonly {readonly from?: readonly PolicyPeerDocument[]; readonly ports?: readonly PolicyPortDocument[]}[];
  readonly egress?: readonly {readonly to?: readonly PolicyPeerDocument[]; readonly ports?: readonly PolicyPortDocument[]}[];
}

export interface ServiceDocument {
  readonly name: string;
  readonly namespace?: string;
  /** ClusterIP (default), or NodePort; the other Kubernetes types are refused (service-types.ts). */
  readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** An IPv4 address, or `None` for a headless service. */
  readonly clusterIP?: string;
  /** Kubernetes' dual-stack fields: on netctl's IPv4-only network, one IPv4 service (ip-families.ts). */
  readonly clusterIPs?: readonly string[];
  readonly ipFamilies?: readonly ('IPv4' | 'IPv6')[];
  readonly ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  /** Addresses routed to the nodes that serve the service's ports as its cluster IP does (external-ips.ts). */
  readonly externalIPs?: readonly string[];
  readonly internalTrafficPolicy?: TrafficPolicy;
  /** Only for NodePort services (default Cluster there). */
  readonly externalTrafficPolicy?: TrafficPolicy;
  readonly trafficDistribution?: TrafficDistribution;
  readonly selector?: Labels;
  readonly endpoints?: readonly string[];
  readonly sessionAffinity?: SessionAffinity;
  /** As in Kubernetes: its endpoints include pods that are not ready (readiness probes do not take them out). */
  readonly publishNotReadyAddresses?: boolean;
  /** Kubernetes' `sessionAffinityConfig.clientIP.timeoutSeconds`: how long a ClientIP affinity lasts. */
  readonly sessionAffinityConfig?: {readonly clientIP?: {readonly timeoutSeconds?: number}};
  /** At least one, except on a headless service. */
  readonly ports?: readonly ServicePortDocument[];
}

/**
 * An object written as a whole Kubernetes manifest: its name and namespace under `metadata`, its
 * other fields under `spec` (the rest of the manifest has no effect).
 */
export interface ManifestDocument<T extends {readonly name: string; readonly namespace?: string}> {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {readonly name: string; readonly namespace?: string};
  readonly spec: Omit<T, 'name' | 'namespace'>;
}

/** A namespace written as a Kubernetes manifest: its name and labels under `metadata`. */
export interface NamespaceManifestDocument {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: NamespaceDocument & {readonly annotations?: Labels};
}

/** A spec as written: namespaces, services and network policies may be manifests (SpecDocument has them unwrapped). */
export interface WrittenSpecDocument extends Omit<SpecDocument, 'spec'> {
  readonly spec: Omit<SpecDocument['spec'], 'namespaces' | 'services' | 'networkPolicies'> & {
    readonly namespaces?: readonly (NamespaceDocument | NamespaceManifestDocument)[];
    readonly services?: readonly (ServiceDocument | ManifestDocument<ServiceDocument>)[];
    readonly networkPolicies?: readonly (NetworkPolicyDocument | ManifestDocument<NetworkPolicyDocument>)[];
  };
}

export interface SpecDocument {
  readonly apiVersion: 'netctl/v1';
  readonly kind: 'ClusterNetwork';
  readonly metadata: {readonly name: string};
  readonly spec: {
    readonly mode: Mode;
    readonly clusterCIDR: string;
    readonly serviceCIDR?: string;
    readonly nodeCIDRMaskSize?: number;
    readonly mtu?: number;
    readonly masquerade?: boolean;
    readonly overlay?: {readonly vni?: number; readonly port?: number};
    readonly underlay?: {readonly driver?: UnderlayDriver};
    readonly nodePortRange?: string;
    readonly ssh?: SshSettings;
    readonly dns?: DnsDocument;
    readonly namespaces?: readonly NamespaceDocument[];
    readonly nodes: readonly NodeDocument[];
    readonly pods?: readonly PodDocument[];
    readonly services?: readonly ServiceDocument[];
    readonly networkPolicies?: readonly NetworkPolicyDocument[];
  };
}

export const DEFAULTS = {
  nodeCIDRMaskSize: 24,
  mtu: 1500,
  masquerade: true,
  vni: 1,
  vxlanPort: 4789,
  underlayDriver: 'routed',
  nodePortRange: '30000-32767',
  transport: 'ssh',
  protocol: 'TCP',
  sessionAffinity: 'None',
  sessionAffinityTimeout: 10800,
  namespace: 'default',
  dnsDomain: 'cluster.local',
} as const;

/** The label every namespace carries with its own name, as in Kubernetes. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Bytes of outer headers a VXLAN packet carries (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14). */
export const VXLAN_OVERHEAD = 50;
/** The smallest MTU every IPv4 host must accept (RFC 791). */
export const MIN_MTU = 576;

/** Whether a value was written in the spec or allocated by netctl. */
export type Origin = 'spec' | 'allocated';

export interface Node {
  readonly name: string;
  readonly address: number;
  /** Prefix of the node network when the spec gives one (`198.51.100.1/24`). */
  readonly addressPrefix: number | undefined;
  readonly interface: string | undefined;
  readonly podCIDR: Cidr;
  readonly podCIDROrigin: Origin;
  readonly transport: Transport;
  /** The spec-level ssh settings with the node's own laid over them, field by field. */
  readonly ssh: SshSettings;
}

export interface ContainerPort {
  readonly name: string | undefined;
  readonly containerPort: number;
  readonly protocol: Protocol;
}

/** What a probe does, with its port resolved to a number. */
export type ProbeAction =
  | {readonly kind: 'tcpSocket'; readonly port: number; readonly host?: string}
  /** `host`: where to connect instead of the pod IP; `headers`: sent as given (httpHeaders). */
  | {readonly kind: 'httpGet'; readonly path: string; readonly port: number; readonly host?: string; readonly headers?: readonly HttpHeader[]}
  | {readonly kind: 'exec'; readonly command: readonly string[]};

/** A readiness probe with Kubernetes' defaults filled in. */
export interface Probe {
  readonly action: ProbeAction;
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export interface Pod {
  readonly name: string;
  readonly node: string;
  readonly namespace: string;
  readonly ip: number;
  readonly ipOrigin: Origin;
  readonly labels: Labels;
  /** Kubernetes' `hostname` and `subdomain`, as written: the pod's names under headless services (desired/dns.ts). */
  readonly hostname: string | undefined;
  readonly subdomain: string | undefined;
  readonly ports: readonly ContainerPort[];
  /** Without one the pod is always ready. */
  readonly readinessProbe: Probe | undefined;
  readonly dnsPolicy: DnsPolicy;
  readonly dnsConfig: PodDnsConfig | undefined;
}

/** Where a service port sends traffic: a pod IP (or an extra endpoint IP) and the port there. */
export interface Endpoint {
  readonly ip: number;
  readonly port: number;
}

export interface ServicePort {
  readonly name: string | undefined;
  readonly protocol: Protocol;
  readonly port: number;
  /** As written (a number or a pod port's name), or the port itself when absent. */
  readonly targetPort: number | string;
  readonly nodePort: number | undefined;
  /**
   * The endpoints of this port, sorted by IP: a named targetPort resolves on each pod, and a pod that
   * does not declare the name is not an endpoint of this port (as in Kubernetes).
   */
  readonly endpoints: readonly Endpoint[];
}

export interface Namespace {
  readonly name: string;
  /** Its labels, with kubernetes.io/metadata.name=<name> among them. */
  readonly labels: Labels;
}

/** Kubernetes' traffic policies: Cluster (every endpoint) or Local (the endpoints on the node). */
export type TrafficPolicy = 'Cluster' | 'Local';

/** Kubernetes' preference for endpoints close to the client; PreferClose is PreferSameZone's former name. */
export type TrafficDistribution = 'PreferSameNode' | 'PreferSameZone' | 'PreferClose';

export interface Service {
  readonly name: string;
  readonly namespace: string;
  /** The virtual IP; undefined for a headless service (`clusterIP: None`). */
  readonly clusterIP: number | undefined;
  readonly clusterIPOrigin: Origin;
  readonly selector: Labels | undefined;
  /** Pod IPs the selector matches, then the extra `endpoints:`; sorted, without duplicates. */
  readonly endpoints: readonly number[];
  readonly sessionAffinity: SessionAffinity;
  readonly sessionAffinityTimeout: number;
  /** Endpoints stay whether their pods are ready or not. */
  readonly publishNotReadyAddresses: boolean;
  /** Addresses the user routes to nodes, which serve the service's ports there as on its cluster IP. */
  readonly externalIPs: readonly number[];
  /** Where traffic to the cluster IP goes: Local, only to endpoints on the node it comes from. */
  readonly internalTrafficPolicy: TrafficPolicy;
  /** Where node-port traffic from outside goes: Local, only to endpoints on the node it arrived at. */
  readonly externalTrafficPolicy: TrafficPolicy;
  /** Which endpoints a client prefers where the traffic policy is Cluster (desired/traffic-distribution.ts). */
  readonly trafficDistribution: TrafficDistribution | undefined;
  readonly ports: readonly ServicePort[];
}

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A Kubernetes LabelSelector: every label and every requirement must hold; an empty one matches everything. */
export interface LabelSelector {
  readonly matchLabels: Labels;
  readonly matchExpressions: readonly SelectorRequirement[];
}

/**
 * Who a rule admits: pods (by podSelector within the policy's namespace, by namespaceSelector in the
 * matching namespaces, or both: pods matching podSelector in the matching namespaces), or addresses.
 */
export type PolicyPeer =
  | {readonly kind: 'pods'; readonly podSelector: LabelSelector | undefined; readonly namespaceSelector: LabelSelector | undefined}
  | {readonly kind: 'ipBlock'; readonly cidr: Cidr; readonly except: readonly Cidr[]}
  /** An IPv6 block, as written: it matches nothing on netctl's IPv4 pod network. */
  | {readonly kind: 'ipv6Block'; readonly cidr: string; readonly except: readonly string[]};

export interface PolicyPort {
  readonly protocol: PolicyProtocol;
  /** A number, a named port of the destination pod, or undefined: every port of the protocol. */
  readonly port: number | string | undefined;
  readonly endPort: number | undefined;
}

export interface PolicyRule {
  /** Empty: every source (ingress) or destination (egress). */
  readonly peers: readonly PolicyPeer[];
  /** Empty: every port and protocol. */
  readonly ports: readonly PolicyPort[];
}

export interface NetworkPolicy {
  readonly name: string;
  readonly namespace: string;
  readonly podSelector: LabelSelector;
  /** As written, or defaulted as Kubernetes does: Ingress, plus Egress when egress rules are given. */
  readonly policyTypes: readonly PolicyType[];
  readonly ingress: readonly PolicyRule[];
  readonly egress: readonly PolicyRule[];
}

export interface ClusterNetwork {
  readonly name: string;
  readonly mode: Mode;
  readonly clusterCIDR: Cidr;
  readonly serviceCIDR: Cidr | undefined;
  readonly nodeCIDRMaskSize: number;
  readonly mtu: number;
  /** MTU of pod interfaces and the bridge: mtu less the tunnel overhead in overlay mode. */
  readonly podMTU: number;
  readonly masquerade: boolean;
  readonly overlay: {readonly vni: number; readonly port: number};
  readonly underlay: {readonly driver: UnderlayDriver};
  readonly nodePortRange: {readonly first: number; readonly last: number};
  readonly nodes: readonly Node[];
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly Pod[];
  readonly services: readonly Service[];
  /** Cluster DNS on every node, or undefined when the spec has no `dns`. */
  readonly dns: ClusterDns | undefined;
  readonly networkPolicies: readonly NetworkPolicy[];
}

export interface ClusterDns {
  readonly domain: string;
  /** Name servers for other names; undefined: each node's own /etc/resolv.conf nameservers. */
  readonly upstream: readonly string[] | undefined;
}
