import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {changeFlags, changeOptions, loadClusterOrExit, refuseSpecArgument, specArgument, specFlags, targetNodesOrExit} from '../cli/common.js';
import {runChanges} from '../cli/run-changes.js';

export default class Destroy extends Command {
  static override summary = 'Remove everything netctl owns from the nodes, and nothing else.';
  static override description = 'Also removes netctl objects left from older specs. Sysctls it set (ip_forward, proxy_arp) are left as they are. Asks for "yes" unless --auto-approve. A netctl reconcile running on the same nodes leaves a destroyed node alone until netctl apply builds it again.';
  static override examples = ['<%= config.bin %> destroy -f cluster.yaml'];

  static override args = specArgument;

  static override flags = {
    ...specFlags,
    ...changeFlags,
    'auto-approve': Flags.boolean({description: 'destroy without asking for confirmation'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Destroy);
    refuseSpecArgument(this, args.spec);
    const cluster = await loadClusterOrExit(this, flags.file);
    await runChanges(this, cluster, {intent: 'destroy', autoApprove: flags['auto-approve'], nodes: targetNodesOrExit(this, cluster, flags), ...changeOptions(flags)});
  }
}
