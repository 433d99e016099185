/** How plan and apply behave at the edges: no terminal, a foreign object in the way, an unreachable node, local transport. */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {execa, execaSync} from 'execa';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {formatAddress} from '../../src/net/ipv4.js';
import {checkSpecText} from '../../src/spec/check.js';
import {LAB_DIR, Lab, bin, labSpec, labUnavailable, netctl} from './lab.js';

const unavailable = labUnavailable();
if (unavailable !== undefined) console.warn(`skipping end-to-end tests: ${unavailable}`);
const suite = unavailable === undefined ? describe : describe.skip;

const nodes = (addresses: string[], local?: string) => addresses.map((address, i) =>
  `    - {name: node${i + 1}, address: ${address}/24${local === `node${i + 1}` ? ', transport: local' : ''}}\n`).join('');
const pods = '    - {name: p1, node: node1}\n    - {name: p2, node: node2}\n    - {name: p3, node: node3}\n';
const spec = (addresses: string[], local?: string) => labSpec({mode: 'overlay', clusterCIDR: '10.244.0.0/16', nodes: nodes(addresses, local), pods});
const lab3 = ['203.0.113.1', '203.0.113.2', '203.0.113.3'];

suite('plan and apply at the edges', () => {
  let lab: Lab;
  let file: string;

  beforeAll(async () => {
    lab = await Lab.up(3);
    file = lab.writeSpec('spec', spec(lab3));
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('refuses to apply without a terminal to confirm on, and changes nothing', async () => {
    const result = await netctl(['apply', '-f', file]);
    expect(result.stderr).toContain('asks for confirmation, but there is no terminal to ask on; review the plan and pass --auto-approve');
    expect(result.exitCode).toBe(1);
    expect((await netctl(['plan', '-f', file, '--detailed-exitcode'])).exitCode).toBe(2);
  });

  it('names a foreign object in the way, leaves that node alone and applies the others', async () => {
    await lab.onNode(2, ['ip', 'link', 'add', 'netctl0', 'type', 'bridge']);
    const plan = await netctl(['plan', '-f', file]);
    expect(plan.stdout).toContain('node2: cannot be planned\n  error: link netctl0 (bridge, not created by netctl) is in the way of link netctl0; netctl never changes what it did not create: remove or rename it');
    expect(plan.exitCode).toBe(1);
    const apply = await netctl(['apply', '-f', file, '--auto-approve']);
    expect(apply.stdout).toContain('Apply finished with errors:\n  node1: applied\n  node2: not changed: it cannot be planned\n  node3: applied\n');
    expect(apply.exitCode).toBe(1);
    const {stdout: bridge} = await lab.onNode(2, ['ip', '-d', '-j', 'link', 'show', 'netctl0']);
    expect((JSON.parse(bridge) as {ifalias?: string}[])[0]?.ifalias).toBeUndefined();
    expect((await lab.onNode(2, ['ip', 'netns', 'list'])).stdout).toBe('');
    await lab.onNode(2, ['ip', 'link', 'del', 'netctl0']);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
  });

  it('reports an unreachable node with what SSH said, and still plans the others', async () => {
    const withDeadNode = lab.writeSpec('dead', spec([...lab3, '203.0.113.9']));
    const result = await netctl(['plan', '-f', withDeadNode]);
    expect(result.stdout).toMatch(/node4: unreachable\n {2}error: cannot reach node node4: ssh: connect to host 203\.0\.113\.9 port 22: (No route to host|Connection timed out)/);
    expect(result.stdout).toMatch(/node1:\n/);
    expect(result.exitCode).toBe(1);
  });

  it('says what to do about a host key it does not know and a login the node refuses, as ssh reported them', async () => {
    writeFileSync(join(LAB_DIR, 'no_known_hosts'), '');
    const lab2 = nodes(lab3.slice(0, 2)).split('\n');
    const twoNodes = `${lab2[0]!.replace('}', `, ssh: {knownHostsFile: ${LAB_DIR}/no_known_hosts}}`)}\n${lab2[1]!.replace('}', ', ssh: {user: stranger}}')}\n`;
    const result = await netctl(['plan', '-f', lab.writeSpec('strangers', labSpec({mode: 'overlay', clusterCIDR: '10.244.0.0/16', nodes: twoNodes, pods: '    - {name: p1, node: node1}\n'}))]);
    expect(result.stdout).toContain('node1: unreachable\n  error: cannot reach node node1: Host key verification failed\n  fix: this machine does not know the node\'s SSH host key, and strict host key checking is on');
    expect(result.stdout).toContain('node2: unreachable\n  error: cannot reach node node2: stranger@203.0.113.2: Permission denied (publickey)\n  fix: the node accepted none of the keys this machine offered');
    expect(result.stdout).not.toContain('Next: `netctl preflight');
    expect(result.exitCode).toBe(1);
  });

  it('removes the last pod of a node and keeps its bridge as it was, MTU included', async () => {
    // The kernel sets a bridge without ports back to MTU 1500 unless its MTU was set after it was made.
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    const withoutP2 = lab.writeSpec('without-p2', labSpec({mode: 'overlay', clusterCIDR: '10.244.0.0/16', nodes: nodes(lab3), pods: pods.replace('    - {name: p2, node: node2}\n', '')}));
    const apply = await netctl(['apply', '-f', withoutP2, '--auto-approve']);
    expect(apply.stdout).toContain('node2: applied');
    expect(apply.exitCode).toBe(0);
    expect((await netctl(['plan', '-f', withoutP2, '--detailed-exitcode'])).exitCode).toBe(0);
    const {stdout: bridge} = await lab.onNode(2, ['ip', '-j', 'link', 'show', 'netctl0']);
    expect((JSON.parse(bridge) as {mtu: number}[])[0]?.mtu).toBe(1450);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
  });

  it('keeps the bridge MAC whatever ports come and go, so the other pods keep their gateway', async () => {
    // The kernel gives a bridge the smallest MAC of its ports unless its MAC was set.
    const twoOnNode1 = lab.writeSpec('two-on-node1', labSpec({mode: 'overlay', clusterCIDR: '10.244.0.0/16', nodes: nodes(lab3), pods: `${pods}    - {name: p4, node: node1}\n`}));
    expect((await netctl(['apply', '-f', twoOnNode1, '--auto-approve'])).exitCode).toBe(0);
    const bridgeMac = async () => (JSON.parse((await lab.onNode(1, ['ip', '-j', 'link', 'show', 'netctl0'])).stdout) as {address: string}[])[0]!.address;
    const before = await bridgeMac();
    const pingNode = () => lab.onNode(1, ['ip', 'netns', 'exec', 'p1', 'ping', '-n', '-c', '1', '-W', '2', '203.0.113.1'], {reject: false});
    expect((await pingNode()).exitCode).toBe(0);
    // A port with the smallest MAC there is: an unpinned bridge would take it at once.
    const links = JSON.parse((await lab.onNode(1, ['ip', '-j', '-d', 'link', 'show'])).stdout) as {ifname: string; ifalias?: string}[];
    const p4Port = links.find((l) => l.ifalias === 'netctl pod p4')!.ifname;
    await lab.onNode(1, ['ip', 'link', 'set', 'dev', p4Port, 'address', '02:00:00:00:00:01']);
    expect(await bridgeMac()).toBe(before);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    expect(await bridgeMac()).toBe(before);
    // At once: p1's ARP cache still holds the gateway's MAC from the first ping.
    expect((await pingNode()).exitCode).toBe(0);
  });

  it('gives a pod that comes back with its address the same MAC, so its neighbours reach it at once', async () => {
    const withP4 = lab.writeSpec('with-p4', labSpec({mode: 'overlay', clusterCIDR: '10.244.0.0/16', nodes: nodes(lab3), pods: `${pods}    - {name: p4, node: node1}\n`}));
    expect((await netctl(['apply', '-f', withP4, '--auto-approve'])).exitCode).toBe(0);
    const eth0 = async () => (JSON.parse((await lab.onNode(1, ['ip', '-n', 'p4', '-j', 'addr', 'show', 'eth0'])).stdout) as {address: string; addr_info: {family: string; local: string}[]}[])[0]!;
    const first = await eth0();
    const ip = first.addr_info.find((a) => a.family === 'inet')!.local;
    expect(first.address).toBe(['0a', '58', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':'));
    const ping = () => lab.onNode(1, ['ip', 'netns', 'exec', 'p1', 'ping', '-n', '-c', '1', '-W', '2', ip], {reject: false});
    expect((await ping()).exitCode).toBe(0);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    expect((await netctl(['apply', '-f', withP4, '--auto-approve'])).exitCode).toBe(0);
    expect((await eth0()).address).toBe(first.address);
    // At once: p1's ARP cache still holds p4's MAC from the first ping.
    expect((await ping()).exitCode).toBe(0);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
  });

  it('runs scripts on the machine itself for transport: local', async () => {
    const local = lab.writeSpec('local', spec(lab3, 'node1'));
    const result = await lab.onNode(1, [process.execPath, bin, 'plan', '-f', local, '--detailed-exitcode'], {reject: false});
    expect(result.stdout).toContain('No changes. The hosts match the spec.');
    expect(result.exitCode).toBe(0);
  });

  it('works through the iptables backend the node uses, and reports netctl chains in the other', async () => {
    const {stdout: version} = await lab.onNode(3, ['iptables', '--version']);
    const other = version.includes('nf_tables') ? 'iptables-legacy' : 'iptables-nft';
    await lab.onNode(3, [other, '-t', 'nat', '-N', 'NETCTL-STALE']);
    const result = await netctl(['plan', '-f', file]);
    expect(result.stdout).toContain(`warning: 1 netctl chain found in the iptables backend this node does not use (${other}-save)`);
    expect(result.exitCode).toBe(0);
    await lab.onNode(3, [other, '-t', 'nat', '-X', 'NETCTL-STALE']);
  });

  it('leaves no process behind on either side', async () => {
    expect((await netctl(['plan', '-f', file])).exitCode).toBe(0);
    const clients = await execa('pgrep', ['-f', 'netctl-session-ready'], {reject: false});
    expect(clients.stdout).toBe('');
    for (const n of [1, 2, 3]) {
      // Session processes end as the connection closes: wait (at most 5 s) for each to exit.
      const {stdout} = await lab.onNode(n, ['pgrep', '-f', 'sshd: root'], {reject: false});
      for (const pid of stdout.split('\n').filter(Boolean)) {
        await lab.onNode(n, ['timeout', '5', 'tail', `--pid=${pid}`, '-s', '0.05', '-f', '/dev/null']);
      }
    }
  });
});

/** Whether this machine's kernel can create a link type (probed in a throwaway network namespace). */
function kernelHas(type: 'ipvlan' | 'macvlan'): boolean {
  const mode = type === 'ipvlan' ? 'mode l2' : 'mode bridge';
  return execaSync('unshare', ['-n', 'sh', '-c', `ip link add p0 type veth peer name p1 && ip link add p2 link p0 type ${type} ${mode}`], {reject: false}).exitCode === 0;
}

const underlaySpec = (driver: string) => labSpec({
  mode: 'underlay',
  clusterCIDR: '203.0.113.128/26',
  extra: `  nodeCIDRMaskSize: 28\n  underlay: {driver: ${driver}}\n  masquerade: false\n`,
  nodes: nodes(['203.0.113.1', '203.0.113.2']),
  pods: '    - {name: p1, node: node1}\n    - {name: p2, node: node2}\n',
});

suite('underlay with ipvlan and macvlan children', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.up(2);
  });
  afterAll(async () => {
    await lab?.down();
  });

  const withoutIpvlan = unavailable === undefined && !kernelHas('ipvlan') ? it : it.skip;
  withoutIpvlan('says plainly, per node, that the kernel cannot create ipvlan links', async () => {
    const result = await netctl(['plan', '-f', lab.writeSpec('ipvlan', underlaySpec('ipvlan'))]);
    expect(result.stdout).toContain("node1: cannot be planned\n  error: this node's kernel cannot create ipvlan links (Error: Unknown device type.); load the ipvlan module or use underlay.driver: routed");
    expect(result.exitCode).toBe(1);
  });

  for (const driver of ['ipvlan', 'macvlan'] as const) {
    const supported = unavailable === undefined && kernelHas(driver);
    if (unavailable === undefined && !supported) {
      console.warn(`skipping the ${driver} traffic test: this kernel cannot create ${driver} links (golden tests cover its plan and script)`);
    }
    (supported ? it : it.skip)(`puts pods on the node network as ${driver} children: TCP between nodes keeps the pod IP`, async () => {
      const file = lab.writeSpec(driver, underlaySpec(driver));
      expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
      const cluster = checkSpecText(underlaySpec(driver)).cluster!;
      const ip = (pod: string) => formatAddress(cluster.pods.find((p) => p.name === pod)!.ip);
      await lab.serveClientAddress(2, 'p2', 8080);
      expect(await lab.connectFromPod(1, 'p1', ip('p2'), 8080)).toBe(ip('p1'));
      expect((await netctl(['plan', '-f', file, '--detailed-exitcode'])).exitCode).toBe(0);
      expect((await netctl(['destroy', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    });
  }
});
