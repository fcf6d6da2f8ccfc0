import { Command } from 'commander';
import { CliError } from '../client.js';

export const TEMPLATES: Record<string, string> = {
  imagepolicy: `# An ImagePolicy says which images may be removed, and when.
# Apply it with: imagectl apply -f this-file.yaml
apiVersion: imagectl.dev/v1alpha1
kind: ImagePolicy
metadata:
  name: cleanup            # DNS-1123 label: lowercase letters, digits and '-'
  labels: {}
spec:
  # Optional: which devices it applies to (the agent's --node-label values).
  # nodeSelector:
  #   matchLabels: {site: plant-7}
  #   matchExpressions: [{key: arch, operator: In, values: [arm64]}]
  removal:
    # imageName: exact name:tag, "*", or a glob ("app:*", "*/sensor:*", "registry.local/app:1.*").
    # A name without a tag is an error unless it is a wildcard.
    - imageName: "registry.local/app:*"
      deleteAfter: 24h             # s, m, h, d; or deleteAfterMinutes: 1440
      agentDownloadedOnly: true    # only images the agent itself pulled or loaded
  # Images that are never removed, whatever the rules say.
  keep: ["registry.local/base:*"]
`,
};

export function newCommand(): Command {
  return new Command('new')
    .description('print a commented manifest template')
    .argument('<kind>', 'imagepolicy')
    .action((kind: string) => {
      const t = TEMPLATES[kind.toLowerCase().replace(/ies$/, 'y')];
      if (!t) throw new CliError(`error: no template for ${JSON.stringify(kind)} (known: ${Object.keys(TEMPLATES).join(', ')})`);
      process.stdout.write(t);
    });
}
