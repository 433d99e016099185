import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {changeFlags, changeOptions, loadSpecOrExit, refuseSpecArgument, specArgument, specFlags, targetNodesOrExit} from '../cli/common.js';
import {durationFlag} from '../cli/duration.js';
import {reconcileFollowing} from '../cli/reconcile-run.js';
import type {ReconcileEvent} from '../engine/reconcile.js';
import {renderEvent} from '../ui/reconcile-view.js';

export default class Reconcile extends Command {
  static override summary = 'Keep the network true until stopped: probe pods, follow readiness, repair drift.';
  static override description = 'Runs where netctl runs, over one SSH connection per node kept for its lifetime: probes every pod at its readinessProbe period (thresholds as in Kubernetes; a pod starts not ready), applies endpoint changes at most once per --min-sync, re-reads every node and repairs drift every --resync (as kube-proxy\'s sync period), and reconnects to nodes that went away. It follows the spec file: a valid change saved to it is taken up (and applied) within a second, so an apply of the edited spec is never undone; an invalid one is reported and the spec as it was is kept. Changes go through the same transaction, verification, rollback and confirmation as apply; node locks are held only while nodes change. One line per event (--json: one JSON object per line). SIGINT or SIGTERM ends it with exit 0, leaving the network as it is.';
  static override examples = [
    '<%= config.bin %> reconcile -f cluster.yaml',
    '<%= config.bin %> reconcile -f cluster.yaml --min-sync 500ms --resync 2m --json',
  ];

  static override args = specArgument;

  static override flags = {
    ...specFlags,
    ...changeFlags,
    'min-sync': durationFlag({description: 'at most one endpoint sync per this long (500ms, 3s, 2m)', default: 1000}),
    'resync': durationFlag({description: 're-read every node and repair drift this often', default: 30_000}),
    'json': Flags.boolean({description: 'one JSON object per event and line'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Reconcile);
    refuseSpecArgument(this, args.spec);
    const {cluster, sha256} = await loadSpecOrExit(this, flags.file);
    const nodes = targetNodesOrExit(this, cluster, flags);
    const options = changeOptions(flags);
    const emit = (event: ReconcileEvent) => {
      const time = new Date().toISOString();
      process.stdout.write(flags.json ? `${JSON.stringify({time, ...event})}\n` : `${time} ${renderEvent(event)}\n`);
    };
    await reconcileFollowing({file: flags.file, cluster, sha256, nodes, targets: flags}, {
      minSyncMs: flags['min-sync'],
      resyncMs: flags.resync,
      parallelism: options.parallelism,
      lockTimeoutSeconds: options.lockTimeoutSeconds,
      confirm: options.confirm,
      connectTimeoutSeconds: options.connectTimeoutSeconds,
    }, emit);
  }
}
