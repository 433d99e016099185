import {Args, Command, Flags} from '@oclif/core';
import {readFile} from 'node:fs/promises';
import {loadClusterOrExit, specFlags, targetNodesOrExit} from '../cli/common.js';
import {observeCluster} from '../engine/engine.js';
import {Session} from '../engine/session.js';
import {SavedPlanError, parseSavedPlan} from '../plan/saved-plan.js';
import {colorsFor} from '../ui/colors.js';
import {renderPlanText} from '../ui/plan-view.js';
import {renderState, stateDocument} from '../ui/state-view.js';

export default class Show extends Command {
  static override summary = 'Show a saved plan, or what netctl owns on each node.';
  static override description = 'With PLAN, renders a plan saved by `plan --out`. With -f FILE, reads every node of the spec and lists the objects netctl owns there (read-only).';
  static override examples = ['<%= config.bin %> show cluster.plan', '<%= config.bin %> show -f cluster.yaml --json'];

  static override args = {plan: Args.string({description: 'a plan saved by `netctl plan --out`'})};
  static override flags = {
    ...specFlags,
    file: Flags.string({char: 'f', description: 'the spec file whose nodes to read', env: 'NETCTL_FILE'}),
    json: Flags.boolean({description: 'print JSON'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Show);
    if (args.plan !== undefined) {
      try {
        const saved = parseSavedPlan(await readFile(args.plan, 'utf8'), args.plan);
        process.stdout.write(flags.json ? `${JSON.stringify(saved.document, null, 2)}\n` : renderPlanText(saved.document, colorsFor(process.stdout)));
      } catch (error) {
        if (!(error instanceof SavedPlanError) && (error as NodeJS.ErrnoException).code === undefined) throw error;
        process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        this.exit(error instanceof SavedPlanError ? 1 : 2);
      }
      return;
    }
    if (flags.file === undefined) this.error('give a saved PLAN or a spec with -f FILE', {exit: 2});
    const cluster = await loadClusterOrExit(this, flags.file);
    const session = await Session.open(cluster, targetNodesOrExit(this, cluster, flags.target));
    let doc;
    try {
      doc = stateDocument(await observeCluster(session, cluster, flags.parallelism));
    } finally {
      await session.close();
    }
    process.stdout.write(flags.json ? `${JSON.stringify(doc, null, 2)}\n` : renderState(doc, colorsFor(process.stdout)));
    if (doc.nodes.some((n) => n.error !== null)) this.exit(1);
  }
}
