import * as Args from '@oclif/core/args';
import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {applySavedPlan} from '../cli/apply-saved.js';
import {changeFlags, changeOptions, loadClusterOrExit, specFlags, targetNodesOrExit} from '../cli/common.js';
import {runChanges} from '../cli/run-changes.js';

export default class Apply extends Command {
  static override summary = 'Make the nodes match the spec, then verify they do.';
  static override description = 'Shows the plan and asks for "yes" (or --auto-approve), applies every node in one round trip, re-reads it and requires an empty diff. Nodes with plan errors are left untouched. Exit status 0 on success, 1 on any error.';
  static override examples = [
    '<%= config.bin %> apply -f cluster.yaml',
    '<%= config.bin %> apply -f cluster.yaml --auto-approve',
    '<%= config.bin %> plan -f cluster.yaml --out cluster.plan && <%= config.bin %> apply cluster.plan',
  ];

  static override args = {
    plan: Args.string({description: 'a plan saved by `netctl plan --out`: apply exactly its changes, without asking, if nothing changed since'}),
  };

  static override flags = {
    ...specFlags,
    ...changeFlags,
    'auto-approve': Flags.boolean({description: 'apply without asking for confirmation'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Apply);
    if (args.plan !== undefined) {
      await applySavedPlan(this, args.plan, changeOptions(flags));
      return;
    }
    const cluster = await loadClusterOrExit(this, flags.file);
    await runChanges(this, cluster, {intent: 'apply', autoApprove: flags['auto-approve'], nodes: targetNodesOrExit(this, cluster, flags), ...changeOptions(flags)});
  }
}
