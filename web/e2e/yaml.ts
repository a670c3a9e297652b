// Reading the harness's YAML just enough to know which Deployments it applies.

/** deployments lists the (namespace, name) of each Deployment in a multi-document YAML (block or flow metadata). */
export function deployments(yaml: string): { namespace: string; name: string }[] {
  return yaml
    .split(/^---\s*$/m)
    .filter((doc) => /^kind:\s*Deployment\s*$/m.test(doc))
    .map((doc) => {
      const flow = /^metadata:\s*\{([^}]*)\}/m.exec(doc)?.[1];
      const meta = flow ?? doc.slice(doc.search(/^metadata:/m)).split(/\n(?=\S)/)[0];
      const field = (k: string) => (flow ? new RegExp(`(?:^|,)\\s*${k}:\\s*([^,\\s]+)`).exec(flow)?.[1] : new RegExp(`^\\s+${k}:\\s*(\\S+)`, 'm').exec(meta)?.[1]);
      return { name: field('name') ?? '', namespace: field('namespace') ?? 'default' };
    });
}
