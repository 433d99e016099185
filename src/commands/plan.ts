import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {writeFile} from 'node:fs/promises';
import {resolve} from 'node:path';
import {loadSpecOrExit, refuseSpecArgument, specArgument, specFlags, targetNodesOrExit} from '../cli/common.js';
import {savePlan, unsavable} from '../plan/saved-plan.js';
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

  static override args = specArgument;

  static override flags = {
    ...specFlags,
    json: Flags.boolean({description: 'print the plan as a JSON document (docs/plan-json.md)'}),
    destroy: Flags.boolean({description: 'plan the removal of everything netctl owns on the nodes'}),
    'detailed-exitcode': Flags.boolean({description: 'exit 0 when there are no changes, 2 when there are, 1 on error'}),
    out: Flags.string({description: 'save the plan to this file, for `netctl apply PLAN` and `netctl show PLAN`'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Plan);
    refuseSpecArgument(this, args.spec);
    const {cluster, sha256} = await loadSpecOrExit(this, flags.file);
    const session = Session.open(cluster, targetNodesOrExit(this, cluster, flags), {connectTimeoutSeconds: flags['connect-timeout']});
    let plan;
    try {
      plan = await planCluster(session, cluster, flags.destroy ? 'destroy' : 'apply', flags.parallelism, {withFingerprints: flags.out !== undefined, lastUse: true});
    } finally {
      await session.close();
    }
    const doc = planDocument(plan);
    process.stdout.write(flags.json ? `${JSON.stringify(doc, null, 2)}\n` : renderPlanText(doc, colorsFor(process.stdout)));
    if (flags.out !== undefined) {
      const why = unsavable(plan);
      if (why !== undefined) {
        process.stderr.write(`error: not saving the plan to ${flags.out}: ${why}\n`);
        this.exit(1);
      }
      await writeFile(flags.out, `${JSON.stringify(savePlan(plan, doc, resolve(flags.file), sha256))}\n`, {mode: 0o600});
      if (!flags.json) process.stdout.write(`\nSaved the plan to ${flags.out}. Apply exactly these changes with: netctl apply ${flags.out}\n`);
    }
    if (doc.summary.errors > 0) this.exit(1);
    if (flags['detailed-exitcode'] && hasChanges(doc)) {
      this.changesPresent = true;
      this.exit(2);
    }
  }

  /** Set just before ending with 2 for changes present. */
  private changesPresent = false;

  /**
   * With --detailed-exitcode, 2 says the hosts differ from the spec, which a drift check acts on: every
   * other end with 2 (a usage error, an unreadable spec) ends with 1 instead, as any error does.
   */
  override async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    if (this.argv.includes('--detailed-exitcode') && !this.changesPresent && error.oclif?.exit === 2) error.oclif.exit = 1;
    return super.catch(error);
  }
}
