import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {loadSpecOrExit, refuseSpecArgument, specArgument, specFlags, targetNodesOrExit} from '../cli/common.js';
import {preflight} from '../engine/preflight.js';
import {Session} from '../engine/session.js';
import {colorsFor} from '../ui/colors.js';
import {preflightDocument, renderPreflightText} from '../ui/preflight-view.js';

export default class Preflight extends Command {
  static override summary = 'Check that every node can carry the spec, before the first apply and whenever in doubt.';
  static override description = [
    'Per node, in one read: the tools netctl needs (ip, bridge, iptables and its backend, conntrack, dnsmasq when DNS is on), kernel support for the links the mode needs (veth, bridge, vxlan, ipvlan or macvlan) and br_netfilter, ip_forward and rp_filter, the uplink\'s MTU against the spec\'s, addresses and routes of the host that overlap clusterCIDR or serviceCIDR, the interface the spec names; in routing and underlay mode, that every peer is on-link.',
    'Between nodes in overlay mode: VXLAN packets sent from every node arrive at every other (a throwaway VXLAN device on each node, removed at the end).',
    'Read-only but for that device. plan and apply run the same host checks first, and stop at the failures apply cannot get past.',
    'Exit status: 0 when nothing failed (warnings allowed), 1 otherwise.',
  ].join('\n\n');

  static override examples = [
    '<%= config.bin %> preflight -f cluster.yaml',
    '<%= config.bin %> preflight -f cluster.yaml --json',
  ];

  static override args = specArgument;

  static override flags = {
    ...specFlags,
    json: Flags.boolean({description: 'print the results as a JSON document'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Preflight);
    refuseSpecArgument(this, args.spec);
    const {cluster} = await loadSpecOrExit(this, flags.file);
    const session = Session.open(cluster, targetNodesOrExit(this, cluster, flags), {connectTimeoutSeconds: flags['connect-timeout']});
    let results;
    try {
      results = await preflight(session, cluster, flags.parallelism);
    } finally {
      await session.close();
    }
    const doc = preflightDocument(results);
    process.stdout.write(flags.json ? `${JSON.stringify(doc, null, 2)}\n` : renderPreflightText(doc, colorsFor(process.stdout)));
    if (!doc.passed) this.exit(1);
  }
}
