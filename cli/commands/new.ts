import { Command } from 'commander';
import { findKind } from '../../crd/kinds.js';
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
  # enabled: false           # switches the policy off everywhere (default true)
  # Optional: which devices it applies to (the agent's --node-label values).
  # nodeSelector:
  #   matchLabels: {site: plant-7}
  #   matchExpressions: [{key: arch, operator: In, values: [arm64]}]
  # Or Open Horizon constraint expressions over the node labels (all must hold):
  # constraints: ["site == plant-7 && cores >= 2"]
  removal:
    # imageName: exact name:tag, "*", or a glob ("app:*", "*/sensor:*", "registry.local/app:1.*").
    # A name without a tag is an error unless it is a wildcard.
    - imageName: "registry.local/app:*"
      deleteAfter: 24h             # s, m, h, d; or deleteAfterMinutes: 1440
      agentDownloadedOnly: true    # only images the agent itself pulled or loaded
  # Images that are never removed, whatever the rules say.
  keep: ["registry.local/base:*"]
  # Optional: a disk budget. When the filesystem holding the engine's data root is this full,
  # idle images that a removal rule matches (deleteAfter aside) go, least recently used first,
  # until it is below lowThresholdPercent. Before a pull, room is made the same way.
  # diskPressure:
  #   highThresholdPercent: 85     # default 85
  #   lowThresholdPercent: 80      # default 80
  #   minAge: 10m                  # never remove an image idle for less (default 2m)
  # Or, for an engine whose data root the agent cannot see: image bytes, shared layers once.
  #   maxImageBytes: 10Gi
  #   targetImageBytes: 8Gi
`,
  workload: `# A Workload is a container the agent keeps running, with EVE-style image pull policies.
# Apply it with: imagectl apply -f this-file.yaml
apiVersion: imagectl.dev/v1alpha1
kind: Workload
metadata:
  name: sensor-reader      # DNS-1123 label; the container is named imagectl-<name>
  labels: {}
spec:
  # An image reference; pin it with @sha256:<digest> to have the registry's digest verified.
  image: "localhost:5000/sensor:1.4"
  # Always: resolve the registry digest and pull only when it changed (a failed pull fails the
  #   workload). IfNotPresent: pull only when absent. Never: an absent image is an error.
  # Default: the agent's --default-pull-policy (Always).
  imagePullPolicy: IfNotPresent
  command: ["/bin/busybox", "sleep", "3600"]
  env: {MODE: fast}
  # Counters: raise one to act once.
  refreshImage: 0          # check the registry for a new image; restart only if one arrived
  restart: 0               # restart the container (after any refresh)
  purge: 0                 # recreate the container, discarding its state (after any refresh)
`,
};

export function newCommand(): Command {
  return new Command('new')
    .description('print a commented manifest template')
    .argument('<kind>', 'imagepolicy | workload')
    .action((kind: string) => {
      const t = TEMPLATES[findKind(kind)?.singular ?? kind.toLowerCase()];
      if (!t) throw new CliError(`error: no template for ${JSON.stringify(kind)} (known: ${Object.keys(TEMPLATES).join(', ')})`);
      process.stdout.write(t);
    });
}
