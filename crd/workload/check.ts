import { isAbsolute, normalize } from 'node:path';
import { hasGlob, parseReference } from '../fields/reference.js';
import type { PushProblem } from '../problems.js';
import type { Manifest } from '../precompiled/manifest-types.js';

/** Workload rules the schema cannot express. `obj` has passed the schema. */
export function checkWorkload(obj: Manifest, push: PushProblem): void {
  if (obj.kind !== 'Workload') return;
  const spec = obj.spec;
  if (hasGlob(spec.image)) push(['spec', 'image'], 'an image reference, not a pattern: no * ? [ ] { }');
  else {
    const r = parseReference(spec.image);
    if (!r.ok) push(['spec', 'image'], r.error);
  }
  if (spec.archive !== undefined && !isAbsolute(spec.archive) && normalize(spec.archive).split('/').includes('..')) {
    push(['spec', 'archive'], 'must stay inside the archive directory: no ".." components');
  }
  if (spec.archiveDigest !== undefined && spec.archive === undefined) push(['spec', 'archiveDigest'], 'archiveDigest needs archive');
  if (spec.archive !== undefined && spec.imagePullPolicy === 'Always') {
    push(['spec', 'imagePullPolicy'], 'Always resolves the image in a registry; an archive workload uses IfNotPresent (the default for archives) or Never');
  }
}
