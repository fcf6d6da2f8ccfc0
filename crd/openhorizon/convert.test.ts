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

  it('nmp-seed-rules: reject an upgrade policy next to an image policy, at the upgrade policy', () => {
    const both = `{\n  "enabled": true,\n  "agentUpgradePolicy": {"manifest": "m", "allowDowngrade": false},\n  "image_policy": {"removal": [{"image_name": "a:*", "delete_after_minutes": 5}]}\n}\n`;
    expect(errors(parseManifestText(both, 'both.json'))).toEqual([
      'both.json:3:3 agentUpgradePolicy: agentUpgradePolicy and image_policy are mutually exclusive: put the agent upgrade and the image policy in separate node management policies',
    ]);
    const design = `upgrade: {}\nagentImagePolicy: {imageRemovalPolicies: []}\n`;
    expect(errors(parseManifestText(design, 'u.yaml'))).toEqual([expect.stringMatching(/^u\.yaml:1:1 upgrade: upgrade and agentImagePolicy are mutually exclusive/)]);
  });

  it('report partial image names, bad constraints and bad fields at their place in the Open Horizon document', () => {
    const bad = `{
  "constraints": ["", "site == plant-7 &&"],
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
    const semantic = bad.replace(', "color": "red"', '').replace('"delete_after_minutes": 0', '"delete_after_minutes": 1').replace('"value": "high"', '"value": 3');
    // the blank constraint is dropped, and the error still points at the second one
    expect(errors(parseManifestText(semantic, 'bad.json'))).toEqual([
      expect.stringMatching(/^bad\.json:2:23 constraints\[1\]: invalid constraint "site == plant-7 &&": at column \d+: nothing after &&/),
      'bad.json:6:8 image_policy.removal[0].image_name: partial image name "image1": tag required: write "image1:<tag>" or "image1:*"',
    ]);
    expect(errors(parseManifestText(bad.replace(', "color": "red"', '').replace('"delete_after_minutes": 0', '"delete_after_minutes": 1'), 'bad.json'))).toContain(
      'bad.json:3:35 properties[0].value: an int property needs a number without quotes, got a string',
    );
  });

  it('nmp-image-policy-only: refuse a policy without an image policy, an upgrade-only one, and two forms at once', () => {
    expect(convertOpenHorizon({ enabled: true }, 'x')).toEqual({ ok: false, problems: [{ path: [], message: expect.stringContaining('without image_policy, agentImagePolicy or imageRemovalPolicy') }] });
    expect(convertOpenHorizon({ enabled: true, agentUpgradePolicy: { manifest: 'm', allowDowngrade: false } }, 'x')).toEqual({
      ok: false, problems: [{ path: ['agentUpgradePolicy'], message: expect.stringContaining('an agent upgrade policy without an image policy: imagectl imports image policies only') }],
    });
    const r = convertOpenHorizon({ image_policy: { removal: [] }, agentImagePolicy: { imageRemovalPolicies: [] } }, 'x');
    expect(r.ok === false && r.problems).toEqual([{ path: ['agentImagePolicy'], message: expect.stringContaining('use one') }]);
  });

  it("read enabled as anax does: absent is false (hzn posts the Go zero value; the agent skips a disabled NMP)", () => {
    const p = ok(parseManifestText('{"image_policy": {"removal": [{"image_name": "a:*", "delete_after_minutes": 5}]}}', 'quiet.json'))[0]!;
    expect(p.kind === 'ImagePolicy' && p.spec.enabled).toBe(false);
  });

  it("accept the first draft's imageRemovalPolicy form, with the same validation", () => {
    const draft = '{"enabled": true, "imageRemovalPolicy": [{"imageName": "dockeruser/image1:*", "deleteAfterHours": 2}, {"imageName": "*", "deleteAfterHours": 4}]}';
    const p = ok(parseManifestText(draft, 'draft.json'))[0]!;
    expect(p.kind === 'ImagePolicy' && p.spec.removal).toEqual([{ imageName: 'dockeruser/image1:*', deleteAfter: '2h' }, { imageName: '*', deleteAfter: '4h' }]);
    expect(errors(parseManifestText(draft.replace('image1:*', 'image1'), 'draft.json'))).toEqual([
      'draft.json:1:43 imageRemovalPolicy[0].imageName: partial image name "dockeruser/image1": tag required: write "dockeruser/image1:<tag>" or "dockeruser/image1:*"',
    ]);
    expect(errors(parseManifestText(draft.replace('"deleteAfterHours": 2', '"deleteAfterHours": 1.5'), 'draft.json'))[0]).toMatch(/imageRemovalPolicy\[0\]\.deleteAfterHours: must be a whole number, got 1\.5$/);
    expect(errors(parseManifestText(draft.replace('"deleteAfterHours": 2', '"deleteAfterHours": 99999'), 'draft.json'))[0]).toMatch(/imageRemovalPolicy\[0\]\.deleteAfterHours: duration "99999h" is longer than 10 years$/);
    expect(errors(parseManifestText(draft.replace('{"enabled": true, ', '{"upgrade": {}, '), 'draft.json'))[0]).toMatch(/upgrade: upgrade and imageRemovalPolicy are mutually exclusive/);
  });

  it('refuse a fractional deleteAfterMinutes: an unsigned integer in anax', () => {
    const nmp = (m: number) => ({ enabled: true, agentImagePolicy: { imageRemovalPolicies: [{ imageId: 'a:*', deleteAfterMinutes: m }] } });
    expect(convertOpenHorizon(nmp(1.5), 'x')).toEqual({ ok: false, problems: [{ path: ['agentImagePolicy', 'imageRemovalPolicies', 0, 'deleteAfterMinutes'], message: 'must be a whole number, got 1.5' }] });
    expect(convertOpenHorizon(nmp(90), 'x').ok).toBe(true);
    expect(convertOpenHorizon(nmp(0), 'x')).toMatchObject({ ok: false, problems: [{ message: 'must be greater than 0, got 0' }] }); // nmp-zero-minutes
    // agentImagePolicy's rules are omitempty in anax
    expect(convertOpenHorizon({ enabled: true, agentImagePolicy: {} }, 'x')).toMatchObject({ ok: true, object: { spec: { removal: [] } } });
  });

  it('accept duplicate property names, as anax does, and type properties by their JSON value', () => {
    const r = convertOpenHorizon({ enabled: true, properties: [{ name: 'p', value: 12, type: 'float' }, { name: 'p', value: -10, type: 'int' }, { name: 'q', value: '3' }, { name: 'r', value: 3 }, { name: 's', value: true, type: '' }], agentImagePolicy: {} }, 'x');
    expect(r.ok && r.object.spec.properties).toEqual([
      { name: 'p', value: '12', type: 'float' }, { name: 'p', value: '-10', type: 'int' }, { name: 'q', value: '3', type: 'string' }, { name: 'r', value: '3', type: 'int' }, { name: 's', value: 'true', type: 'boolean' },
    ]);
  });

  it('check start and property types as hzn does', () => {
    const at = (extra: Record<string, unknown>) => convertOpenHorizon({ enabled: true, agentImagePolicy: {}, ...extra }, 'x');
    expect(at({ start: 'now' }).ok).toBe(true);
    expect(at({ start: '2026-05-01T08:00:00Z' }).ok).toBe(true);
    expect(at({ start: '2026-05-01T08:00:00.5+02:00' }).ok).toBe(true);
    expect(at({ start: '2026-02-30T08:00:00Z' })).toMatchObject({ ok: false, problems: [{ path: ['start'] }] });
    expect(at({ properties: [{ name: 'v', value: '1.02.3', type: 'version' }] })).toMatchObject({ ok: false, problems: [{ message: expect.stringContaining('is not a version') }] });
    expect(at({ properties: [{ name: 'b', value: 1, type: 'boolean' }] })).toMatchObject({ ok: false, problems: [{ message: 'a boolean property needs true or false, got a number' }] });
    expect(at({ properties: [{ name: 'openhorizon.allowPrivileged', value: 'yes' }] })).toMatchObject({ ok: false, problems: [{ message: expect.stringContaining('must have a boolean value') }] });
    expect(at({ properties: [{ name: 'openhorizon.allowPrivileged', value: 'true' }] })).toMatchObject({ ok: true, object: { spec: { properties: [{ value: 'true', type: 'boolean' }] } } });
  });

  it("drop blank patterns (hzn's template has [\"\"]): nmp-empty-pattern", () => {
    const r = convertOpenHorizon({ enabled: true, patterns: [''], constraints: ['site == plant-7'], agentImagePolicy: {} }, 'x');
    expect(r.ok && r.object.spec).toMatchObject({ constraints: ['site == plant-7'] });
    expect(r.ok && 'patterns' in r.object.spec).toBe(false);
  });

  it('nmp-zero-minutes: refuse deleteAfterMinutes 0, which anax\'s unsigned integer allows: a rule needs a delay', () => {
    const r = convertOpenHorizon({ enabled: true, agentImagePolicy: { imageRemovalPolicies: [{ imageId: 'a:*', deleteAfterMinutes: 0 }] } }, 'x');
    expect(r).toEqual({ ok: false, problems: [{ path: ['agentImagePolicy', 'imageRemovalPolicies', 0, 'deleteAfterMinutes'], message: 'must be greater than 0, got 0' }] });
  });

  it('nmp-strict-fields: an unknown field, or a known one spelled in another case, is an error (Go ignores the first and matches the second)', () => {
    expect(convertOpenHorizon({ enabled: true, agentImagePolicy: {}, colour: 'red' }, 'x')).toMatchObject({ ok: false, problems: [{ path: ['colour'], message: expect.stringContaining('unknown field "colour"') }] });
    expect(convertOpenHorizon({ enabled: true, agentImagePolicy: { imageRemovalPolicies: [{ ImageId: 'a:*', deleteAfterMinutes: 5 }] } }, 'x')).toMatchObject({ ok: false });
  });

  it('nmp-no-constraints-flag: an NMP without constraints or patterns applies everywhere, as hzn exchange nmp add --no-constraints', () => {
    const r = convertOpenHorizon({ enabled: true, agentImagePolicy: { imageRemovalPolicies: [{ imageId: 'a:*', deleteAfterMinutes: 5 }] } }, 'x');
    expect(r.ok && r.object.spec).toEqual({ enabled: true, properties: [], removal: [{ imageName: 'a:*', deleteAfterMinutes: 5 }] });
  });
});
