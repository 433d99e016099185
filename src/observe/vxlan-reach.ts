/**
 * Whether VXLAN packets from each node reach the others, proved with the kernel's own VXLAN: every node
 * gets a throwaway VXLAN device (a VNI next to the spec's, the spec's UDP port) that floods to every
 * peer; then every node sends through it, and each learns the source of every packet that arrived
 * (the device's forwarding database records the sender's address). A firewall dropping the port on
 * the way or on the receiver leaves that sender out. Two round trips per node; the device lives
 * between them and is removed at the end of the second (or at the start of the next preflight).
 */
import {shellQuote} from '../shell/quote.js';
import {splitSections} from './parse.js';
import {SECTION} from './script.js';

export const REACH_DEVICE = 'nctlpf0';
/** An address the device holds, and one nobody holds, so that the kernel floods ARP requests for it. */
const OWN_ADDRESS = '169.254.253.1/24';
const ABSENT_ADDRESS = '169.254.253.2';
/** ARP asks three times, a second apart: the receivers wait that long for every sender. */
const WAIT_TENTHS = 35;

/** A VNI that is not the spec's (VNIs are 1 to 16777215). */
export function reachVni(specVni: number): number {
  return specVni >= 16_777_215 ? specVni - 1 : specVni + 1;
}

export interface ReachSetup {
  readonly vni: number;
  readonly port: number;
  /** The node's own address, the source of its VXLAN packets. */
  readonly local: string;
  readonly peers: readonly string[];
}

export function reachSetupScript(setup: ReachSetup): string {
  const add = `ip link add ${REACH_DEVICE} type vxlan id ${setup.vni} dstport ${setup.port} local ${shellQuote(setup.local)}`;
  return [
    `ip link del ${REACH_DEVICE} 2>/dev/null`,
    `${add} 2>&1 && ip addr add ${OWN_ADDRESS} dev ${REACH_DEVICE} 2>&1 && ip link set ${REACH_DEVICE} up 2>&1 || { echo "could not create the test VXLAN device"; exit 1; }`,
    ...setup.peers.map((peer) => `bridge fdb append 00:00:00:00:00:00 dev ${REACH_DEVICE} dst ${shellQuote(peer)} 2>&1 || exit 1`),
    '',
  ].join('\n');
}

/** Sends through the device, waits for every peer's packets (bounded), prints their sources, removes the device. */
export function reachProbeScript(peers: number): string {
  return [
    `bash -c 'echo > /dev/udp/${ABSENT_ADDRESS}/9' 2>/dev/null`,
    `learned() { bridge fdb show dev ${REACH_DEVICE} 2>/dev/null | awk '$1 != "00:00:00:00:00:00" { for (i = 1; i < NF; i++) if ($i == "dst") print $(i + 1) }' | sort -u; }`,
    'i=0',
    `while [ "$(learned | wc -l)" -lt ${peers} ] && [ $i -lt ${WAIT_TENTHS} ]; do sleep 0.1; i=$((i + 1)); done`,
    `printf '\\n${SECTION} reached-from\\n'`,
    'learned',
    `ip link del ${REACH_DEVICE} 2>/dev/null`,
    `printf '\\n${SECTION} end\\n'`,
    '',
  ].join('\n');
}

/** The peers whose VXLAN packets arrived, from the probe script's output. */
export function reachedFrom(output: string): Set<string> {
  const body = splitSections(output).sections.get('reached-from') ?? '';
  return new Set(body.split('\n').map((l) => l.trim()).filter((l) => l !== ''));
}
