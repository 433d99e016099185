/**
 * Which cluster a node's netctl objects belong to. Every netctl object carries the same mark whatever
 * spec made it, so a spec pointed at another cluster's node (a copied spec, a wrong address) would plan
 * that cluster's pods, routes and rules away as "not in the spec". Each apply that changes a node
 * records the spec's `metadata.name` on it, beside the node's lock (in /run, which empties at boot as
 * the kernel objects do); a destroy that went through removes the record; every read reports it.
 */
export const OWNER_FILE = '/run/netctl/cluster';

/** Reports the recorded cluster as a section `cluster NAME` (the read script's `sec`), with shell built-ins only. */
export const OWNER_READ = `owner=; [ -f ${OWNER_FILE} ] && read -r owner <${OWNER_FILE}; [ -n "$owner" ] && sec cluster "$owner"`;

/** The cluster recorded on the node, from the read's section names. */
export function ownerIn(sectionNames: Iterable<string>): string | undefined {
  for (const name of sectionNames) if (name.startsWith('cluster ')) return name.slice('cluster '.length);
  return undefined;
}
