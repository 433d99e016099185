/**
 * The end-to-end lab from the tests' side: nodes are network namespaces with their own sshd and mount
 * namespace (see lab/netctl-lab.sh). Commands run inside a node or a pod through nsenter into the node's sshd.
 */
import {execa} from 'execa';
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const script = join(root, 'lab', 'netctl-lab.sh');
export const LAB_DIR = '/tmp/netctl-lab';
export const bin = join(root, 'bin', 'run.cjs');

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

  /** Every sshd process of node `node`: its listener and one per connection. */
  async sshdPids(node: number): Promise<string[]> {
    const {stdout} = await execa('pgrep', ['--ns', this.pid(node), '--nslist', 'mnt', '-x', 'sshd'], {reject: false});
    return stdout.split('\n').filter((l) => l !== '');
  }

  /** The listening sshd of node `node`: stopped, new connections hang; established ones go on. */
  listenerPid(node: number): string {
    return this.pid(node);
  }

  /**
   * Makes `tool` on node `node` wait, each time it is run, until release() (a bind mount over
   * /usr/local/sbin, first in PATH, only in that node's mount namespace). `started` resolves once the
   * node ran it.
   */
  async holdOn(node: number, tool: string, realPath: string): Promise<{started: Promise<void>; release: () => void; remove: () => Promise<void>}> {
    const dir = join(LAB_DIR, `hold-${node}-${tool}`);
    const started = join(dir, 'started');
    const released = join(dir, 'released');
    mkdirSync(join(dir, 'bin'), {recursive: true});
    writeFileSync(join(dir, 'bin', tool), `#!/bin/sh\ntouch ${started}\nwhile [ ! -e ${released} ]; do sleep 0.05; done\nexec ${realPath} "$@"\n`, {mode: 0o755});
    await this.onNode(node, ['mount', '--bind', join(dir, 'bin'), '/usr/local/sbin']);
    return {
      started: waitFor(() => existsSync(started), `${tool} to run on node${node}`),
      release: () => writeFileSync(released, ''),
      remove: async () => {
        writeFileSync(released, '');
        await this.onNode(node, ['umount', '/usr/local/sbin']);
        rmSync(dir, {recursive: true, force: true});
      },
    };
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
  async serve(node: number, pod: string, port: number, options: {protocol?: 'TCP' | 'UDP'; answer?: string} = {}): Promise<{stop: () => Promise<void>}> {
    // UDP-LISTEN gives each client a socket of its own, as verify --serve does: UDP-RECVFROM's forked
    // children share the server's socket, and one still running can take a datagram meant for the next.
    const listen = (options.protocol ?? 'TCP') === 'TCP' ? `TCP-LISTEN:${port},reuseaddr,fork` : `UDP-LISTEN:${port},reuseaddr,fork`;
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
    return {stop: async () => {
      server.kill('SIGKILL');
      await server;
    }};
  }

  async serveClientAddress(node: number, pod: string, port: number): Promise<void> {
    await this.serve(node, pod, port);
  }

  /** Connects from a pod to ip:port and returns what the server answered. */
  async connectFromPod(node: number, pod: string, ip: string, port: number): Promise<string> {
    const {stdout} = await this.inPod(node, pod, tcpClient(ip, port));
    return stdout.trim();
  }

  /**
   * Sends a UDP datagram from a pod and returns the answer; with none within 2 s, sends another, three
   * times at most, as a DNS resolver does. The services test's single exchange went unanswered in
   * about one run of ten, with the build before 2026-12-02's changes as with after (cause not found:
   * through the same service, a Python server in the pods answered 60 datagrams of 60, the forked socat
   * servers lost some under a stream of them). A service that never answers still gets "".
   */
  async udpFromPod(node: number, pod: string, ip: string, port: number): Promise<string> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const {stdout} = await this.onNode(node, ['ip', 'netns', 'exec', pod, 'socat', '-t', '2', '-T', '2', '-', `UDP:${ip}:${port}`], {input: 'ping\n'});
      if (stdout.trim() !== '') return stdout.trim();
    }
    return '';
  }

  writeSpec(name: string, yaml: string): string {
    const file = join(LAB_DIR, `${name}.yaml`);
    writeFileSync(file, yaml);
    return file;
  }
}

/** Resolves once `condition` holds, checking every 50 ms; rejects after `seconds`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, seconds = 30): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${seconds} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
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
