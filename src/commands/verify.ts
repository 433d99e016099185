import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {writeFile} from 'node:fs/promises';
import {loadClusterOrExit, refuseSpecArgument, specArgument, specFlags, targetNodesOrExit} from '../cli/common.js';
import {Session} from '../engine/session.js';
import {colorsFor} from '../ui/colors.js';
import {toSvg, topology, withProbes} from '../ui/graph.js';
import {renderJunit, renderVerifyText, verifyDocument} from '../ui/verify-view.js';
import {runVerify} from '../verify/run.js';

export default class Verify extends Command {
  static override summary = 'Test the applied network for real: pings and TCP connects between pods, nodes and services.';
  static override description = 'From every pod to one pod on every other node and on its own node, pod to node and node to pod, every TCP service port on its cluster IP (and node port) from a pod on another node (a port whose pods are all not ready, by their readiness probes run first, must refuse), and a don\'t-fragment ping at the pod MTU between nodes. Uses ping and bash on the nodes; --serve starts a TCP responder (socat) in each endpoint pod for the duration of the check. Exit 1 on any failure.';
  static override examples = ['<%= config.bin %> verify -f cluster.yaml --serve', '<%= config.bin %> verify -f cluster.yaml --junit verify.xml', '<%= config.bin %> verify -f cluster.yaml --serve --graph verify.svg'];

  static override args = specArgument;

  static override flags = {
    ...specFlags,
    serve: Flags.boolean({description: 'run a temporary TCP responder in every endpoint pod while checking'}),
    json: Flags.boolean({description: 'print the results as JSON'}),
    junit: Flags.string({description: 'also write the results as JUnit XML to this file'}),
    graph: Flags.string({description: 'also draw the network with every probed connection coloured by its result, as SVG to this file'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Verify);
    refuseSpecArgument(this, args.spec);
    const cluster = await loadClusterOrExit(this, flags.file);
    const session = Session.open(cluster, targetNodesOrExit(this, cluster, flags), {connectTimeoutSeconds: flags['connect-timeout']});
    let doc;
    try {
      // A first Ctrl-C lets the checks (a few seconds at most) end, so --serve's responders are stopped.
      const interrupted = () => process.stderr.write('\ninterrupted: finishing the checks and stopping the responders (a second signal ends netctl now)\n');
      const {results, errors} = await session.gracefully(interrupted, () => runVerify(session, cluster, flags.parallelism, flags.serve));
      doc = verifyDocument(results, errors);
    } finally {
      await session.close();
    }
    process.stdout.write(flags.json ? `${JSON.stringify(doc, null, 2)}\n` : renderVerifyText(doc, colorsFor(process.stdout)));
    if (flags.junit !== undefined) await writeFile(flags.junit, renderJunit(doc));
    if (flags.graph !== undefined) {
      const probes = doc.checks.map((c) => ({pod: c.pod ?? undefined, node: c.node, target: c.target, status: c.status, label: c.port === null ? c.kind : `${c.kind} ${c.port}`}));
      await writeFile(flags.graph, await toSvg(withProbes(cluster, topology(cluster), probes)));
    }
    if (!doc.passed) this.exit(1);
  }
}
