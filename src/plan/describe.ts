/** One-line descriptions of resources for plans, as an operator would say them. */
import {joinWords} from '../resources/iptables.js';
import {DNS_PORT} from '../resources/dns.js';
import type {Resource} from '../resources/model.js';
import {netnsPod} from '../desired/names.js';
import {describePolicyChain} from './policy-words.js';

export function describe(r: Resource): string {
  const where = r.ns === '' ? '' : ` in pod ${netnsPod(r.ns)}`;
  switch (r.kind) {
    case 'sysctl':
      return `sysctl ${r.key.replace(/\//g, '.')} = ${r.value}`;
    case 'netns':
      return `network namespace ${r.name}`;
    case 'link': {
      const details = [r.type, `mtu ${r.mtu}`];
      if (r.master !== undefined) details.push(`on ${r.master}`);
      if (r.peer !== undefined && r.ns === '') details.push(`peer ${r.peer.name} in pod ${netnsPod(r.peer.ns)}`);
      if (r.vxlan !== undefined) details.push(`vni ${r.vxlan.vni}`, `port ${r.vxlan.port}`, `local ${r.vxlan.local}`, `dev ${r.vxlan.dev}`);
      if (r.parent !== undefined) details.push(`parent ${r.parent}`);
      if (r.mac !== undefined) details.push(`mac ${r.mac}`);
      return `link ${r.name}${where} (${details.join(', ')})`;
    }
    case 'address':
      return `address ${r.cidr} on ${r.dev}${where}`;
    case 'route':
      return `route ${r.dst}${r.via === undefined ? '' : ` via ${r.via}`} dev ${r.dev}${r.onlink === true ? ' onlink' : ''}${where}`;
    case 'neighbour':
      return `neighbour ${r.ip} lladdr ${r.mac} on ${r.dev}`;
    case 'fdb':
      return `fdb ${r.mac} dst ${r.dst} on ${r.dev}`;
    case 'iptables-chain':
      return describePolicyChain(r) ?? `iptables ${r.table} chain ${r.chain} (${r.rules.length} rule${r.rules.length === 1 ? '' : 's'})`;
    case 'iptables-rule':
      return `iptables ${r.table} ${r.chain}: ${joinWords(r.rule)}`;
    case 'dns-hosts':
      return `dns records of the cluster zone (${r.lines.length} addresses)`;
    case 'dns-server':
      return `dns server dnsmasq on ${r.listen}:${DNS_PORT} for ${r.domain}, upstream ${r.upstream.length === 0 ? 'none' : r.upstream.join(' ')}`;
    case 'pod-resolver':
      return `resolver of pod ${netnsPod(r.pod)}: ${[`nameserver ${r.nameservers.join(' ')}`, ...(r.search.length === 0 ? [] : [`search ${r.search.join(' ')}`]), ...r.options].join(', ')}`;
  }
}
