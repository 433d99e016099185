import * as Args from '@oclif/core/args';
import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {exitWithError, loadClusterOrExit, specFlags} from '../cli/common.js';
import {podByRef} from '../cli/party.js';
import {planReads, readCluster} from '../engine/engine.js';
import {Session} from '../engine/session.js';
import {formatAddress} from '../net/ipv4.js';
import {shellQuote} from '../shell/quote.js';
import {podNetns} from '../desired/names.js';
import {podRef} from '../spec/namespaces.js';

export default class Exec extends Command {
  static override summary = 'Run a command inside a pod\'s network namespace on its node, or list the pods.';
  static override description = 'The command runs over SSH on the pod\'s node as `ip netns exec POD CMD...` (each word quoted), with this terminal\'s input and output, and netctl exits with its exit status. Without a command, lists the pods with their node, IP and readiness (probed on their nodes).';
  static override examples = [
    '<%= config.bin %> exec -f cluster.yaml web-1 -- ip -4 addr show eth0',
    '<%= config.bin %> exec -f cluster.yaml shop/client-1 -t -- bash',
    '<%= config.bin %> exec -f cluster.yaml           # the pods, where they run and whether they are ready',
  ];

  static override strict = false;
  static override args = {
    pod: Args.string({description: 'the pod: POD or NAMESPACE/POD'}),
  };

  static override flags = {
    file: specFlags.file,
    'connect-timeout': specFlags['connect-timeout'],
    tty: Flags.boolean({char: 't', description: 'give the command a terminal on the node (for shells and other interactive programs)'}),
  };

  async run(): Promise<void> {
    const {args, raw, flags} = await this.parse(Exec);
    const cluster = await loadClusterOrExit(this, flags.file);
    // The words in the order given: oclif's argv orders repeated words by their first place (a b a -> a a b).
    const command = raw.flatMap((token) => (token.type === 'arg' ? [token.input] : [])).slice(1);
    if (args.pod === undefined) return this.list(cluster, flags['connect-timeout']);
    const pod = podByRef(cluster, args.pod);
    if (typeof pod === 'string') exitWithError(this, `${pod} (netctl exec -f ${flags.file} lists the pods)`, 2);
    if (command.length === 0) exitWithError(this, `no command: netctl exec -f ${flags.file} ${args.pod} -- CMD [ARG...]`, 2);
    const session = Session.open(cluster, [pod.node], {connectTimeoutSeconds: flags['connect-timeout']});
    let status: number;
    try {
      status = await session.transport(pod.node).interactive(['ip', 'netns', 'exec', podNetns(pod), ...command].map(shellQuote).join(' '), flags.tty);
    } finally {
      await session.close();
    }
    if (status !== 0) this.exit(status);
  }

  /** Every pod with its node, IP and readiness, read from the nodes in one round trip each. */
  private async list(cluster: Parameters<typeof readCluster>[1], connectTimeoutSeconds: number): Promise<void> {
    const session = Session.open(cluster, cluster.nodes.map((n) => n.name), {connectTimeoutSeconds});
    let plan;
    try {
      plan = planReads(cluster, 'apply', await readCluster(session, cluster, 'apply', 10));
    } finally {
      await session.close();
    }
    const lost = new Set(plan.nodes.filter((n) => n.status === 'unreachable').map((n) => n.node));
    const notReady = new Map((plan.notReady ?? []).map((n) => [podRef(n.pod), n.detail]));
    const rows = [['POD', 'NODE', 'IP', 'READY'], ...cluster.pods.map((pod) => [
      `${pod.namespace}/${pod.name}`, pod.node, formatAddress(pod.ip),
      lost.has(pod.node) ? 'unknown (node unreachable)' : notReady.has(podRef(pod)) ? `no: ${notReady.get(podRef(pod))!}` : pod.readinessProbe === undefined ? 'yes (no probe)' : 'yes',
    ])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    process.stdout.write(rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n');
  }
}
