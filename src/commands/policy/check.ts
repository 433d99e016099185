import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {exitWithError, loadClusterOrExit, refuseSpecArgument, specArgument, specFlags} from '../../cli/common.js';
import {partyName, partyOf, portOf} from '../../cli/party.js';
import {decide, ruleName} from '../../spec/policy-semantics.js';

/** Exit status of a denied connection, apart from errors (1) and usage errors (2). */
const DENIED = 3;

export default class PolicyCheck extends Command {
  static override summary = 'Say whether the network policies of a spec allow a connection, and which policy and rule decided.';
  static override description = 'From the spec alone: no host is contacted. Connections are judged as they arrive at the pod, after service DNAT: give the pod and its target port. Exit status: 0 allowed, 3 denied, 1 or 2 on a bad spec or argument.';
  static override examples = [
    '<%= config.bin %> policy check -f cluster.yaml --from shop/client-1 --to shop/db-1 --port 5432/tcp',
    '<%= config.bin %> policy check -f cluster.yaml --from 192.0.2.10 --to shop/web-1 --port 8080',
    '<%= config.bin %> policy check -f cluster.yaml --from node:node2 --to shop/db-1 --port 5432 --json',
  ];

  static override args = specArgument;

  static override flags = {
    file: specFlags.file,
    from: Flags.string({description: 'the client: NAMESPACE/POD, POD, node:NODE or an IPv4 address', required: true}),
    to: Flags.string({description: 'the server: NAMESPACE/POD, POD, node:NODE or an IPv4 address', required: true}),
    port: Flags.string({description: 'the destination port on the server, PORT[/tcp|udp|sctp] (default tcp)', required: true}),
    json: Flags.boolean({description: 'print the decision as JSON'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PolicyCheck);
    refuseSpecArgument(this, args.spec);
    const cluster = await loadClusterOrExit(this, flags.file);
    const from = partyOf(cluster, flags.from);
    if (typeof from === 'string') exitWithError(this, `--from: ${from}`, 2);
    const to = partyOf(cluster, flags.to);
    if (typeof to === 'string') exitWithError(this, `--to: ${to}`, 2);
    const port = portOf(flags.port);
    if (typeof port === 'string') exitWithError(this, port, 2);
    const decision = decide(cluster, {from, to, ...port});
    const verdict = decision.allowed ? 'allowed' : 'denied';
    if (flags.json) {
      const rules = (v: typeof decision.ingress) => v === undefined ? null : {isolatedBy: v.isolatedBy.map((p) => `${p.namespace}/${p.name}`), allowedBy: v.allowedBy.map(ruleName)};
      process.stdout.write(`${JSON.stringify({from: partyName(from), to: partyName(to), port: port.port, protocol: port.protocol, verdict, reason: decision.reason, egress: rules(decision.egress), ingress: rules(decision.ingress)}, null, 2)}\n`);
    } else {
      process.stdout.write(`${verdict}: ${partyName(from)} -> ${partyName(to)} ${port.protocol} ${port.port}: ${decision.reason}\n`);
    }
    if (!decision.allowed) this.exit(DENIED);
  }
}
