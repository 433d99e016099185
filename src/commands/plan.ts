import {Command, Flags} from '@oclif/core';
import {loadClusterOrExit, specFlags, targetNodesOrExit} from '../cli/common.js';
import {planCluster} from '../engine/engine.js';
import {Session} from '../engine/session.js';
import {colorsFor} from '../ui/colors.js';
import {hasChanges, planDocument, renderPlanText} from '../ui/plan-view.js';

export default class Plan extends Command {
  static override summary = 'Read every node over SSH and show what apply would change.';
  static override description = 'Read-only. Exit status: 0 success (with --detailed-exitcode: no changes), 1 error, 2 changes present (with --detailed-exitcode).';
  static override examples = [
    '<%= config.bin %> plan -f cluster.yaml',
    '<%= config.bin %> plan -f cluster.yaml --json',
    '<%= config.bin %> plan -f cluster.yaml --detailed-exitcode   # drift check for cron and CI',
  ];

  static override flags = {
    ...specFlags,
    json: Flags.boolean({description: 'print the plan as a JSON document (docs/plan-json.md)'}),
    destroy: Flags.boolean({description: 'plan the removal of everything netctl owns on the nodes'}),
    'detailed-exitcode': Flags.boolean({description: 'exit 0 when there are no changes, 2 when there are, 1 on error'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Plan);
    const cluster = await loadClusterOrExit(this, flags.file);
    const session = await Session.open(cluster, targetNodesOrExit(this, cluster, flags.target));
    let doc;
    try {
      doc = planDocument(await planCluster(session, cluster, flags.destroy ? 'destroy' : 'apply', flags.parallelism));
    } finally {
      await session.close();
    }
    process.stdout.write(flags.json ? `${JSON.stringify(doc, null, 2)}\n` : renderPlanText(doc, colorsFor(process.stdout)));
    if (doc.summary.errors > 0) this.exit(1);
    if (flags['detailed-exitcode'] && hasChanges(doc)) this.exit(2);
  }
}
