/**
 * Renders a node's ordered changes as one shell script for one round trip: consecutive commands of
 * the same tool go in one batch (`ip -batch`, `ip -n POD -batch`, `bridge -batch`), and all
 * iptables changes go in one `iptables-restore --noflush` payload (many new or dropped chains in
 * restores of their own around it: chain-restores.ts). The script stops at the first failure
 * (`set -e`; `-batch` stops at its first failing line).
 */
import {IPTABLES_WAIT, joinWords, savedText} from '../resources/iptables.js';
import {
  OWNER_ALIAS,
  ROUTE_PROTOCOL,
  aliasFor,
  isBuiltinChain,
  parentLink,
  type IptablesChain,
  type IptablesRule,
  type IptablesTable,
  type Link,
  type Resource,
} from '../resources/model.js';
import {heredoc, shellQuote} from '../shell/quote.js';
import {createDnsSteps, deleteDnsSteps} from './dns.js';
import {chainRestores, creationOrder} from './chain-restores.js';
import {ipBatches} from './link-deletions.js';
import {afterPortChanges, beforePortChanges, bridgePorts, pinMac} from './bridge-ports.js';
import type {Change} from '../plan/diff.js';

/**
 * `netns` lines (`netns add`, `netns del`) get a batch of their own: before iproute2 5.x, a batch line
 * after `netns add` ran inside the namespace just made.
 */
type Tool = {tool: 'ip'; ns: string} | {tool: 'netns'} | {tool: 'bridge'} | {tool: 'shell'};
interface Step {
  readonly via: Tool;
  readonly line: string;
  /** A new namespace's loopback: set up with the namespace's next command (see withLoopbacksLater). */
  readonly loopback?: true;
}

/** Double quotes for `ip -batch` arguments with spaces (its own tokenizer reads them). */
function batchWord(word: string): string {
  return /^[^\s"\\]+$/.test(word) ? word : `"${word.replace(/"/g, '')}"`;
}

export interface ScriptOptions {
  /**
   * For rollback scripts: go on past failing commands (`ip -force -batch`, `|| true`), because after a
   * failed apply some of the objects the script expects may or may not be there.
   */
  readonly tolerant?: boolean;
}

export function applyScript(changes: Iterable<Change>, options: ScriptOptions = {}): string {
  const tolerant = options.tolerant === true;
  const steps: Step[] = [];
  const removed = removedTogether(changes);
  const iptables: Change[] = [];
  for (const change of changes) {
    const resource = (change.after ?? change.before)!;
    if (resource.kind === 'iptables-rule' || resource.kind === 'iptables-chain') {
      iptables.push(change);
      continue;
    }
    if ((change.action === 'delete' || change.action === 'replace') && !removed.has(change.key)) {
      steps.push(...deleteSteps(change.before!));
    }
    if (change.action === 'create' || change.action === 'replace') steps.push(...createSteps(change.after!));
    if (change.action === 'update') steps.push(...updateSteps(change.before!, change.after!));
  }
  if (!tolerant) {
    // Many new chains first and many dropped chains last, in restores of their own; everything
    // traffic sees changes in the main restore between them.
    const {created, rest, dropped} = chainRestores(iptables);
    const main = iptablesRestore(rest, true);
    const restores = [...created.map(newChainsRestore), ...(main === undefined ? [] : [main]), ...dropped.map(droppedChainsRestore)];
    // iptables first: a new pod's policy chains exist before its link joins the bridge, so it is
    // isolated from its first packet (rules name addresses and interfaces, which need not exist yet).
    const bridges = bridgePorts(changes);
    const parts = [
      'set -e',
      ...(restores.length === 0 ? [] : [...restores.map((lines) => heredoc(`iptables-restore ${IPTABLES_WAIT} --noflush`, lines.join('\n'))), ...forgetUdpEndpoints(iptables)]),
      ...beforePortChanges(bridges),
      ...batches(steps, false),
      ...afterPortChanges(bridges),
    ];
    return `${parts.join('\n')}\n`;
  }
  // Jumps in built-in chains may or may not be there: check each one on its own, outside the restore.
  const jumps = iptables.flatMap((c) => {
    const r = (c.after ?? c.before)!;
    return r.kind === 'iptables-rule' && isBuiltinChain(r.chain) ? [{change: c, rule: r}] : [];
  });
  const jumpCommand = (r: IptablesRule, ...flag: string[]) => `iptables ${IPTABLES_WAIT} ${['-t', r.table, ...flag, ...r.rule].map(shellQuote).join(' ')}`;
  const restore = iptablesRestore(iptables, false);
  const parts = [
    ...batches(steps, true),
    ...jumps.filter((j) => j.change.action === 'delete').map((j) => `${jumpCommand(j.rule, '-D', j.rule.chain)} 2>/dev/null || true`),
    ...(restore === undefined ? [] : [heredoc(`iptables-restore ${IPTABLES_WAIT} --noflush`, restore.join('\n'), ' || true')]),
    ...jumps.filter((j) => j.change.action === 'create').map((j) => `${jumpCommand(j.rule, '-C', j.rule.chain)} 2>/dev/null || ${jumpCommand(j.rule, '-I', j.rule.chain, '1')} || true`),
  ];
  return `${parts.join('\n')}\n`;
}

/** Keys of objects that go away with a link or namespace deleted in the same apply. */
function removedTogether(changes: Iterable<Change>): Set<string> {
  const goneLinks = new Set<string>();
  const goneNamespaces = new Set<string>();
  for (const change of changes) {
    if (change.action !== 'delete' && change.action !== 'replace') continue;
    const before = change.before!;
    if (before.kind === 'netns') goneNamespaces.add(before.name);
    if (before.kind === 'link') {
      goneLinks.add(change.key);
      if (before.peer !== undefined) goneLinks.add(`link ${before.peer.ns === '' ? '' : `${before.peer.ns}:`}${before.peer.name}`);
    }
  }
  const removed = new Set<string>();
  for (const change of changes) {
    const before = change.before;
    if (before === undefined) continue;
    const parent = parentLink(before);
    const viaPeer = before.kind === 'link' && before.ns !== '' && before.peer !== undefined && goneLinks.has(`link ${before.peer.name}`);
    if ((parent !== undefined && goneLinks.has(parent)) || (before.ns !== '' && goneNamespaces.has(before.ns)) || viaPeer) {
      removed.add(change.key);
    }
  }
  return removed;
}

const ip = (ns: string, line: string): Step => ({via: {tool: 'ip', ns}, line});

/** The `ip` command for a namespace: the node's own, or a pod's. */
const ipIn = (ns: string): string => (ns === '' ? 'ip' : `ip -n ${shellQuote(ns)}`);

function linkSettings(link: Link): string {
  const words = [`mtu ${link.mtu}`];
  if (link.master !== undefined) words.push(`master ${link.master}`);
  return words.join(' ');
}

function createSteps(r: Resource): Step[] {
  switch (r.kind) {
    case 'sysctl': {
      const write = `printf '%s\\n' ${shellQuote(r.value)} > ${shellQuote(`/proc/sys/${r.key}`)}`;
      // The bridge sysctls exist only once br_netfilter is loaded.
      const load = r.key.startsWith('net/bridge/') ? '{ [ -e /proc/sys/net/bridge ] || modprobe br_netfilter; } && ' : '';
      return [{via: {tool: 'shell'}, line: `${load}${write}`}];
    }
    case 'netns':
      // The loopback's alias marks the namespace as netctl's.
      return [netnsStep('add', r.name), {via: {tool: 'ip', ns: r.name}, line: `link set dev lo alias ${OWNER_ALIAS} up`, loopback: true}];
    case 'link':
      return createLink(r);
    case 'address':
      return [ip(r.ns, `addr add ${r.cidr} dev ${r.dev}`)];
    case 'route':
      return [ip(r.ns, `route add ${routeSpec(r)}`)];
    case 'neighbour':
      return [ip('', `neigh replace ${r.ip} lladdr ${r.mac} dev ${r.dev} nud permanent`)];
    case 'fdb':
      return [{via: {tool: 'bridge'}, line: `fdb append ${r.mac} dev ${r.dev} dst ${r.dst} self permanent`}];
    case 'iptables-chain':
    case 'iptables-rule':
      return [];
    case 'dns-hosts':
    case 'dns-server':
    case 'pod-resolver':
      return createDnsSteps(r).map(shell);
  }
}

const shell = (line: string): Step => ({via: {tool: 'shell'}, line});

/**
 * A namespace's name is a file name under /run/netns: one read from a node may hold what a batch line
 * cannot (a space, a quote), and goes to `ip netns` as a quoted shell word instead.
 */
function netnsStep(verb: 'add' | 'del', name: string): Step {
  return /^[A-Za-z0-9_.-]+$/.test(name) ? {via: {tool: 'netns'}, line: `netns ${verb} ${name}`} : shell(`ip netns ${verb} ${shellQuote(name)}`);
}

function createLink(link: Link): Step[] {
  const name = link.name;
  const finish = `link set dev ${name} ${linkSettings(link)}${link.ns === '' ? ` alias ${batchWord(aliasFor(link))}` : ''} up`;
  switch (link.type) {
    case 'bridge':
      // Its MAC pinned before any port joins (bridge-ports.ts).
      return [ip(link.ns, `link add ${name} mtu ${link.mtu} type bridge`), ip(link.ns, finish), shell(pinMac(name, ipIn(link.ns)))];
    case 'vxlan': {
      const v = link.vxlan!;
      return [
        ip(link.ns, `link add ${name} address ${link.mac!} mtu ${link.mtu} type vxlan id ${v.vni} local ${v.local} dev ${v.dev} dstport ${v.port} nolearning`),
        ip(link.ns, finish),
      ];
    }
    case 'veth':
      // The pod end comes into being with the host end; inside the pod it only needs setting up.
      if (link.ns !== '') return [ip(link.ns, finish)];
      return [ip('', `link add ${name} mtu ${link.mtu} type veth peer name ${link.peer!.name}${link.peerMac === undefined ? '' : ` address ${link.peerMac}`} netns ${link.peer!.ns}`), ip('', finish), ...hairpin(link)];
    case 'ipvlan':
    case 'macvlan': {
      const mode = link.type === 'ipvlan' ? 'mode l2' : 'mode bridge';
      return [ip('', `link add link ${link.parent!} name ${name} netns ${link.ns} mtu ${link.mtu} type ${link.type} ${mode}`), ip(link.ns, finish)];
    }
  }
}

/** Hairpin is a setting of the bridge port, so it is set once the link is on its bridge. */
function hairpin(link: Link): Step[] {
  return link.hairpin === true ? [ip(link.ns, `link set dev ${link.name} type bridge_slave hairpin on`)] : [];
}

function routeSpec(r: Extract<Resource, {kind: 'route'}>): string {
  return `${r.dst}${r.via === undefined ? '' : ` via ${r.via}`} dev ${r.dev}${r.onlink === true ? ' onlink' : ''} proto ${ROUTE_PROTOCOL}`;
}

function updateSteps(before: Resource, after: Resource): Step[] {
  switch (after.kind) {
    case 'link': {
      const master = after.master === undefined && (before as Link).master !== undefined ? ' nomaster' : '';
      return [ip(after.ns, `link set dev ${after.name} ${linkSettings(after)}${master} ${after.up ? 'up' : 'down'}`), ...hairpin(after)];
    }
    case 'route':
      return [ip(after.ns, `route replace ${routeSpec(after)}`)];
    default:
      return createSteps(after);
  }
}

function deleteSteps(r: Resource): Step[] {
  switch (r.kind) {
    case 'sysctl':
      return [];
    case 'netns':
      return [netnsStep('del', r.name)];
    case 'link':
      return [ip(r.ns, `link del dev ${r.name}`)];
    case 'address':
      return [ip(r.ns, `addr del ${r.cidr} dev ${r.dev}`)];
    case 'route':
      return [ip(r.ns, `route del ${r.dst} dev ${r.dev} proto ${ROUTE_PROTOCOL}`)];
    case 'neighbour':
      return [ip('', `neigh del ${r.ip} dev ${r.dev}`)];
    case 'fdb':
      return [{via: {tool: 'bridge'}, line: `fdb del ${r.mac} dev ${r.dev} dst ${r.dst} self`}];
    case 'iptables-chain':
    case 'iptables-rule':
      return [];
    case 'dns-hosts':
    case 'dns-server':
    case 'pod-resolver':
      return deleteDnsSteps(r).map(shell);
  }
}

function sameTool(a: Tool, b: Tool): boolean {
  return a.tool === b.tool && (a.tool !== 'ip' || b.tool !== 'ip' || a.ns === b.ns);
}

/**
 * A new namespace's loopback is set up with the next command in that namespace (its pod's link, once
 * the host made it), so that namespaces made together are made by one `ip -batch` and each gets one
 * batch of its own, not one more process per pod. Nothing reaches the namespace before then.
 */
function withLoopbacksLater(steps: readonly Step[]): Step[] {
  const waiting = new Map<string, Step>();
  const out: Step[] = [];
  for (const step of steps) {
    const ns = step.via.tool === 'ip' ? step.via.ns : undefined;
    if (step.loopback === true && ns !== undefined) {
      waiting.set(ns, step);
      continue;
    }
    const loopback = ns === undefined ? undefined : waiting.get(ns);
    if (loopback !== undefined) {
      out.push(loopback);
      waiting.delete(ns!);
    }
    out.push(step);
  }
  return [...out, ...waiting.values()];
}

function batches(steps: readonly Step[], tolerant: boolean): string[] {
  const force = tolerant ? ' -force' : '';
  const shell = (line: string) => (tolerant ? `{ ${line}; } 2>/dev/null || true` : line);
  const ordered = withLoopbacksLater(steps);
  const out: string[] = [];
  let i = 0;
  while (i < ordered.length) {
    const first = ordered[i]!;
    const lines: string[] = [];
    while (i < ordered.length && sameTool(ordered[i]!.via, first.via)) lines.push(ordered[i++]!.line);
    const via = first.via;
    const ending = tolerant ? ' || true' : '';
    if (via.tool === 'shell') out.push(...lines.map(shell));
    else if (via.tool === 'bridge') out.push(heredoc(`bridge${force} -batch -`, lines.join('\n'), ending));
    else if (via.tool === 'netns') out.push(heredoc(`ip${force} -batch -`, lines.join('\n'), ending));
    else {
      const ipCommand = `${ipIn(via.ns)}${force}`;
      out.push(...(tolerant ? [heredoc(`${ipCommand} -batch -`, lines.join('\n'), ending)] : ipBatches(ipCommand, lines)));
    }
  }
  return out;
}

/** `ip:port` of the UDP endpoints a chain DNATs to. */
function udpTargets(chain: IptablesChain): string[] {
  return chain.rules.flatMap((rule) => {
    if (!rule.includes('DNAT') || rule[rule.indexOf('-p') + 1] !== 'udp') return [];
    const target = rule[rule.indexOf('--to-destination') + 1];
    return target !== undefined && /^[\d.]+:\d+$/.test(target) ? [target] : [];
  });
}

/**
 * UDP has no connection to break: clients keep their conntrack entry to an endpoint that went away.
 * As kube-proxy does, delete the entries whose replies would come from a removed UDP endpoint.
 */
function forgetUdpEndpoints(changes: Iterable<Change>): string[] {
  const before = new Set<string>();
  const after = new Set<string>();
  for (const change of changes) {
    if (change.before?.kind === 'iptables-chain' && change.action !== 'create') udpTargets(change.before).forEach((t) => before.add(t));
    if (change.after?.kind === 'iptables-chain') udpTargets(change.after).forEach((t) => after.add(t));
  }
  const gone = new Set([...before].filter((target) => !after.has(target)));
  if (gone.size === 0) return [];
  return [
    'if command -v conntrack >/dev/null 2>&1; then',
    ...[...gone].sort().map((target) => {
      const [ip = '', port = ''] = target.split(':');
      return `  conntrack -D -p udp --reply-src ${ip} --reply-port-src ${port} >/dev/null 2>&1 || true`;
    }),
    'fi',
  ];
}

/**
 * One iptables-restore payload: every netctl chain created or changed is declared (which flushes it)
 * and written out whole, jumps in built-in chains are inserted or deleted one by one, and chains no
 * longer wanted are flushed and removed after their jumps.
 */
function iptablesRestore(changes: readonly Change[], withJumps: boolean): string[] | undefined {
  if (changes.length === 0) return undefined;
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const satisfies readonly IptablesTable[]) {
    const written = new Map<string, IptablesChain>();
    const dropped: string[] = [];
    const jumps: string[] = [];
    for (const change of changes) {
      const r = (change.after ?? change.before)!;
      if ((r.kind !== 'iptables-chain' && r.kind !== 'iptables-rule') || r.table !== table) continue;
      if (r.kind === 'iptables-chain') {
        if (change.action === 'delete') dropped.push(r.chain);
        else written.set(r.chain, r);
      } else if (withJumps) {
        if (change.action === 'delete') jumps.push(`-D ${r.chain} ${joinWords(r.rule)}`);
        else if (change.action === 'create') jumps.push(`-I ${r.chain} 1 ${joinWords(r.rule)}`);
      }
    }
    if (written.size + dropped.length + jumps.length === 0) continue;
    const live = creationOrder([...written.keys()]);
    dropped.sort();
    lines.push(`*${table}`);
    for (const chain of [...live, ...dropped]) lines.push(`:${chain} - [0:0]`);
    for (const chain of live) lines.push(...appendLines(written.get(chain)!));
    lines.push(...jumps);
    for (const chain of dropped) lines.push(`-X ${chain}`);
    lines.push('COMMIT');
  }
  return lines;
}

/** The chain's rules as restore lines: as iptables-save prints them (computed once per chain), after `-A CHAIN `. */
function appendLines(chain: IptablesChain): string[] {
  return chain.rules.length === 0 ? [] : [`-A ${chain.chain} ${savedText(chain).replaceAll('\n', `\n-A ${chain.chain} `)}`];
}

/** A restore payload creating these new chains of one table, with their rules. */
function newChainsRestore(chains: readonly IptablesChain[]): string[] {
  return [`*${chains[0]!.table}`, ...chains.map((c) => `:${c.chain} - [0:0]`), ...chains.flatMap(appendLines), 'COMMIT'];
}

/** A restore payload removing these chains of one table: each emptied (declared), then deleted. */
function droppedChainsRestore(chains: readonly IptablesChain[]): string[] {
  return [`*${chains[0]!.table}`, ...chains.map((c) => `:${c.chain} - [0:0]`), ...chains.map((c) => `-X ${c.chain}`), 'COMMIT'];
}
