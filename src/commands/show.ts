import * as Args from '@oclif/core/args';
import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {loadClusterOrExit, loadSavedPlanOrExit, specFlags, targetNodesOrExit} from '../cli/common.js';
import {observeCluster} from '../engine/engine.js';
import {Session} from '../engine/session.js';
import {ChangeList} from '../plan/change-list.js';
import {savedPlanStatus} from '../plan/saved-plan.js';
import {colorsFor} from '../ui/colors.js';
import {planDocument, renderPlanText} from '../ui/plan-view.js';
import {renderState, stateDocument} from '../ui/state-view.js';

export default class Show extends Command {
  static override summary = 'Show a saved plan, or what netctl owns on each node.';
  static override description = 'With PLAN, renders a plan saved by `plan --out` and says whether it still matches its spec file (exit 1 when not). With -f FILE, reads every node of the spec and lists the objects netctl owns there (read-only).';
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
      const saved = await loadSavedPlanOrExit(this, args.plan);
      // Rendered from the changes apply would check, not from the summary stored beside them.
      const document = planDocument({intent: saved.intent, nodes: saved.nodes.map((n) => ({status: 'planned' as const, ...n, changes: ChangeList.of(n.changes)}))});
      const spec = await readFile(saved.spec.file).then((bytes) => createHash('sha256').update(bytes).digest('hex'), () => undefined);
      const matches = spec === saved.spec.sha256;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({...document, spec: {file: saved.spec.file, matches}}, null, 2)}\n`);
      } else {
        process.stdout.write(renderPlanText(document, colorsFor(process.stdout)));
        process.stdout.write(`\n${savedPlanStatus(saved.spec.file, spec === undefined ? 'unreadable' : matches ? 'matches' : 'changed')}\n`);
      }
      if (!matches) this.exit(1);
      return;
    }
    if (flags.file === undefined) this.error('give a saved PLAN or a spec with -f FILE', {exit: 2});
    const cluster = await loadClusterOrExit(this, flags.file);
    const session = Session.open(cluster, targetNodesOrExit(this, cluster, flags), {connectTimeoutSeconds: flags['connect-timeout']});
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
