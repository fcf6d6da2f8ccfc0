import { describe, expect, it } from 'vitest';
import { parseManifestText, type LoadResult } from '../load.js';
import { convertOpenHorizon, isOpenHorizonShape, nameFromFile } from './convert.js';
import { formatManifestError } from '../types.js';

const DESIGN = `{
  "label": "Plant 7 image cleanup",
  "description": "Old service images go",
  "constraints": ["site == plant-7 && cores >= 2"],
  "properties": [{"name": "purpose", "value": "cleanup"}, {"name": "tier", "value": 3}, {"name": "gpu", "value": false}, {"name": "agent", "value": "2.31.0", "type": "version"}],
  "patterns": [],
  "enabled": true,
  "start": "now",
  "startWindow": 300,
  "image_policy": {
    "removal": [
      {"image_name": "image1:0.0.1", "delete_after_minutes": 30, "agent_downloaded_only": true},
      {"image_name": "*", "delete_after_minutes": 60, "agent_downloaded_only": false}
    ]
  }
}
`;

const ANAX = `# the form anax's code carries
enabled: false
constraints: []
properties: []
patterns: [myorg/sensors]
agentImagePolicy:
  imageRemovalPolicies:
    - imageId: "registry.local/app:1.*"
      deleteAfterMinutes: 1440
      agentDownloadedOnly: true
`;

function ok(r: LoadResult) {
  if (!r.ok) throw new Error(r.errors.map(formatManifestError).join('\n'));
  return r.objects.map((o) => o.object);
}
const errors = (r: LoadResult) => (r.ok ? [] : r.errors.map(formatManifestError));

describe('Open Horizon node management policies', () => {
  it('are told apart from manifests by shape', () => {
    expect(isOpenHorizonShape({ image_policy: {} })).toBe(true);
    expect(isOpenHorizonShape({ enabled: true, agentImagePolicy: {} })).toBe(true);
    expect(isOpenHorizonShape({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', enabled: true })).toBe(false);
    expect(isOpenHorizonShape({ metadata: { name: 'x' } })).toBe(false);
    expect(isOpenHorizonShape([])).toBe(false);
    expect(nameFromFile('/srv/policies/plant-7.json')).toBe('plant-7');
    expect(nameFromFile('site.a.yaml')).toBe('site.a');
  });

  it("convert the design's JSON form into an ImagePolicy named after the file", () => {
    const [p] = ok(parseManifestText(DESIGN, 'nmp/plant-7.json'));
    expect(p).toEqual({
      apiVersion: 'imagectl.dev/v1alpha1',
      kind: 'ImagePolicy',
      metadata: {
        name: 'plant-7',
        annotations: { 'imagectl.dev/source': 'openhorizon', 'imagectl.dev/openhorizon-label': 'Plant 7 image cleanup', 'imagectl.dev/openhorizon-description': 'Old service images go' },
      },
      spec: {
        enabled: true,
        constraints: ['site == plant-7 && cores >= 2'],
        properties: [
          { name: 'purpose', value: 'cleanup', type: 'string' },
          { name: 'tier', value: '3', type: 'int' },
          { name: 'gpu', value: 'false', type: 'boolean' },
          { name: 'agent', value: '2.31.0', type: 'version' },
        ],
        removal: [
          { imageName: 'image1:0.0.1', deleteAfterMinutes: 30, agentDownloadedOnly: true },
          { imageName: '*', deleteAfterMinutes: 60, agentDownloadedOnly: false },
        ],
      },
    });
  });

  it("convert anax's YAML form, with enabled: false and patterns", () => {
    const [p] = ok(parseManifestText(ANAX, 'sensors.yaml'));
    expect(p!.metadata.name).toBe('sensors');
    expect(p!.kind === 'ImagePolicy' && p!.spec).toEqual({
      enabled: false,
      properties: [],
      patterns: ['myorg/sensors'],
      removal: [{ imageName: 'registry.local/app:1.*', deleteAfterMinutes: 1440, agentDownloadedOnly: true }],
    });
  });

  it('take their name from --name, and need it on stdin', () => {
    expect(ok(parseManifestText(DESIGN, 'x.json', { name: 'given' }))[0]!.metadata.name).toBe('given');
    expect(errors(parseManifestText(DESIGN, '<stdin>'))).toEqual(['<stdin>:1:1 an Open Horizon policy read from stdin needs --name NAME (a file names it after itself)']);
    expect(ok(parseManifestText(DESIGN, '<stdin>', { name: 'piped' }))[0]!.metadata.name).toBe('piped');
    expect(errors(parseManifestText(DESIGN, 'Plant_7.json'))[0]).toMatch(/^Plant_7\.json:1:1 the policy is named after its file, and "Plant_7" is not a DNS-1123 label/);
  });

  it('reject an upgrade policy next to an image policy, at the upgrade policy', () => {
    const both = `{\n  "enabled": true,\n  "agentUpgradePolicy": {"manifest": "m", "allowDowngrade": false},\n  "image_policy": {"removal": [{"image_name": "a:*", "delete_after_minutes": 5}]}\n}\n`;
    expect(errors(parseManifestText(both, 'both.json'))).toEqual([
      'both.json:3:3 agentUpgradePolicy: agentUpgradePolicy and image_policy are mutually exclusive: put the agent upgrade and the image policy in separate node management policies',
    ]);
    const design = `upgrade: {}\nagentImagePolicy: {imageRemovalPolicies: []}\n`;
    expect(errors(parseManifestText(design, 'u.yaml'))).toEqual([expect.stringMatching(/^u\.yaml:1:1 upgrade: upgrade and agentImagePolicy are mutually exclusive/)]);
  });

  it('report partial image names, bad constraints and bad fields at their place in the Open Horizon document', () => {
    const bad = `{
  "constraints": ["site == plant-7 &&"],
  "properties": [{"name": "tier", "value": "high", "type": "int"}],
  "image_policy": {
    "removal": [
      {"image_name": "image1", "delete_after_minutes": 30},
      {"image_name": "a:*", "delete_after_minutes": 0, "color": "red"}
    ]
  }
}
`;
    expect(errors(parseManifestText(bad, 'bad.json'))).toEqual([
      'bad.json:7:29 image_policy.removal[1].delete_after_minutes: must be greater than 0, got 0',
      'bad.json:7:56 image_policy.removal[1].color: unknown field "color" (known fields: image_name, delete_after_minutes, agent_downloaded_only)',
    ]);
    const semantic = bad.replace(', "color": "red"', '').replace('"delete_after_minutes": 0', '"delete_after_minutes": 1');
    expect(errors(parseManifestText(semantic, 'bad.json'))).toEqual([
      expect.stringMatching(/^bad\.json:2:19 constraints\[0\]: invalid constraint "site == plant-7 &&": at column \d+: expected a property name/),
      'bad.json:3:35 properties[0].value: an int property needs an integer, got "high"',
      'bad.json:6:8 image_policy.removal[0].image_name: partial image name "image1": tag required: write "image1:<tag>" or "image1:*"',
    ]);
  });

  it('reject a policy without an image policy, and two forms at once', () => {
    expect(convertOpenHorizon({ enabled: true }, 'x')).toEqual({ ok: false, problems: [{ path: [], message: expect.stringContaining('without image_policy or agentImagePolicy') }] });
    const r = convertOpenHorizon({ image_policy: { removal: [] }, agentImagePolicy: { imageRemovalPolicies: [] } }, 'x');
    expect(r.ok === false && r.problems).toEqual([{ path: ['agentImagePolicy'], message: expect.stringContaining('use one') }]);
  });
});
