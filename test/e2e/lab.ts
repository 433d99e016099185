/**
 * The end-to-end lab from the tests' side: nodes are network namespaces with their own sshd and mount
 * namespace (see lab/netctl-lab.sh). Commands run inside a node or a pod through nsenter into the node's sshd.
 */
import {execa} from 'execa';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const script = join(root, 'lab', 'netctl-lab.sh');
export const LAB_DIR = '/tmp/netctl-lab';
export const bin = join(root, 'bin', 'run.js');

/**
 * Why the lab cannot run here, or undefined when it can. Missing tools are no reason: the e2e project's
 * global set-up installs them through `netctl lab tools`, or fails the run.
 */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'end-to-end tests need Linux (network namespaces)';
  if (process.getuid?.() !== 0) return 'end-to-end tests need root (network namespaces, sshd)';
  return undefined;
}

export const nodeAddress = (i: number) => `203.0.113.${i}`;

export class Lab {
  private servers: {readonly kill: () => void; readonly done: Promise<unknown>}[] = [];

  private constructor(readonly nodes: number) {}

  static async up(nodes: number): Promise<Lab> {
    await execa(script, ['up', String(nodes)]);
    return new Lab(nodes);
  }

  async down(): Promise<void> {
    for (const server of this.servers) server.kill();
    await Promise.allSettled(this.servers.map((s) => s.done));
    this.servers = [];
    await execa(script, ['down']);
  }

  private pid(node: number): string {
    return readFileSync(join(LAB_DIR, `node${node}.pid`), 'utf8').trim();
  }

  /** Runs a command on node `node` (1-based), inside its network and mount namespaces. */
  onNode(node: number, command: string[], options: {reject?: boolean; input?: string} = {}) {
    return execa('nsenter', ['-t', this.pid(node), '-m', '-n', '--', ...command], {reject: options.reject ?? true, ...(options.input === undefined ? {} : {input: options.input})});
  }

  inPod(node: number, pod: string, command: string[], options: {reject?: boolean} = {}) {
    return this.onNode(node, ['ip', 'netns', 'exec', pod, ...command], options);
  }

  /**
   * Starts a TCP or UDP server in a pod that answers every connection (or datagram) with the output
   * of `answer` (default: the client's address), and resolves once socat says it listens or receives.
   */
  async serve(node: number, pod: string, port: number, options: {protocol?: 'TCP' | 'UDP'; answer?: string} = {}): Promise<void> {
    const listen = (options.protocol ?? 'TCP') === 'TCP' ? `TCP-LISTEN:${port},reuseaddr,fork` : `UDP-RECVFROM:${port},fork`;
    const answer = options.answer ?? 'echo $SOCAT_PEERADDR';
    const server = execa('nsenter', ['-t', this.pid(node), '-m', '-n', '--', 'ip', 'netns', 'exec', pod, 'socat', '-d', '-d', listen, `SYSTEM:${answer}`], {reject: false});
    this.servers.push({kill: () => server.kill('SIGKILL'), done: server});
    await new Promise<void>((resolve, reject) => {
      let log = '';
      server.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('listening on') || log.includes('receiving on')) resolve();
      });
      void server.then(() => reject(new Error(`server in ${pod} ended: ${log}`)));
    });
  }

  serveClientAddress(node: number, pod: string, port: number): Promise<void> {
    return this.serve(node, pod, port);
  }

  /** Connects from a pod to ip:port and returns what the server answered. */
  async connectFromPod(node: number, pod: string, ip: string, port: number): Promise<string> {
    const {stdout} = await this.inPod(node, pod, tcpClient(ip, port));
    return stdout.trim();
  }

  /** Sends one UDP datagram from a pod and returns the answer (socat waits 2 s of silence to end). */
  async udpFromPod(node: number, pod: string, ip: string, port: number): Promise<string> {
    const {stdout} = await this.onNode(node, ['ip', 'netns', 'exec', pod, 'socat', '-T', '2', '-', `UDP:${ip}:${port}`], {input: 'ping\n'});
    return stdout.trim();
  }

  writeSpec(name: string, yaml: string): string {
    const file = join(LAB_DIR, `${name}.yaml`);
    writeFileSync(file, yaml);
    return file;
  }
}

/** A TCP client that prints what the server sends; -u only reads, so the answer ends the exchange. */
export function tcpClient(ip: string, port: number): string[] {
  return ['socat', '-u', '-T', '5', `TCP:${ip}:${port},connect-timeout=5`, 'STDOUT'];
}

export function netctl(args: string[], options: {reject?: boolean} = {}) {
  return execa(bin, args, {reject: options.reject ?? false, env: {NO_COLOR: '1'}, stripFinalNewline: false});
}

/** Spec text for the lab: its nodes, over the lab's own SSH configuration. */
export function labSpec(body: {mode: string; clusterCIDR: string; extra?: string; nodes: string; pods: string}): string {
  return `apiVersion: netctl/v1
kind: ClusterNetwork
metadata: {name: e2e}
spec:
  mode: ${body.mode}
  clusterCIDR: ${body.clusterCIDR}
${body.extra ?? ''}  ssh: {configFile: ${LAB_DIR}/ssh_config, connectTimeout: 5}
  nodes:
${body.nodes}  pods:
${body.pods}`;
}
