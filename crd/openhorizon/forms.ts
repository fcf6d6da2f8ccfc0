/**
 * The three ways Open Horizon's seeds write an image policy, and how each maps to removal rules.
 * Pure.
 *
 * - the design's `image_policy.removal[]`: `image_name`, `delete_after_minutes`, `agent_downloaded_only`
 * - anax's `agentImagePolicy.imageRemovalPolicies[]`: `imageId`, `deleteAfterMinutes`, `agentDownloadedOnly`
 * - the first draft's `imageRemovalPolicy[]`: `imageName`, `deleteAfterHours`
 */
import type { RemovalRule } from '../imagepolicy/type.js';
import type { PathSegment } from '../kinds.js';

/** The field of each form that holds what a removal rule's field holds. */
type Fields = Partial<Record<keyof RemovalRule, string>>;

export interface Form {
  /** the top-level key of the form */
  key: string;
  /** where its rules sit in the document */
  base: PathSegment[];
  fields: Fields;
  rules: Record<string, unknown>[];
  toRule(r: Record<string, unknown>): RemovalRule;
}

export const IMAGE_POLICY_KEYS = ['image_policy', 'agentImagePolicy', 'imageRemovalPolicy'] as const;

const flag = (v: unknown) => (v !== undefined ? { agentDownloadedOnly: v as boolean } : {});

function design(doc: Record<string, unknown>): Form {
  const rules = (doc.image_policy as { removal?: Record<string, unknown>[] }).removal ?? [];
  return {
    key: 'image_policy',
    base: ['image_policy', 'removal'],
    fields: { imageName: 'image_name', deleteAfterMinutes: 'delete_after_minutes', agentDownloadedOnly: 'agent_downloaded_only' },
    rules,
    toRule: (r) => ({ imageName: r.image_name as string, deleteAfterMinutes: r.delete_after_minutes as number, ...flag(r.agent_downloaded_only) }),
  };
}

function anax(doc: Record<string, unknown>): Form {
  // imageRemovalPolicies is omitempty in anax: absent means no rules
  const rules = (doc.agentImagePolicy as { imageRemovalPolicies?: Record<string, unknown>[] }).imageRemovalPolicies ?? [];
  return {
    key: 'agentImagePolicy',
    base: ['agentImagePolicy', 'imageRemovalPolicies'],
    fields: { imageName: 'imageId', deleteAfterMinutes: 'deleteAfterMinutes', agentDownloadedOnly: 'agentDownloadedOnly' },
    rules,
    toRule: (r) => ({ imageName: r.imageId as string, deleteAfterMinutes: r.deleteAfterMinutes as number, ...flag(r.agentDownloadedOnly) }),
  };
}

function draft(doc: Record<string, unknown>): Form {
  return {
    key: 'imageRemovalPolicy',
    base: ['imageRemovalPolicy'],
    fields: { imageName: 'imageName', deleteAfter: 'deleteAfterHours' },
    rules: doc.imageRemovalPolicy as Record<string, unknown>[],
    toRule: (r) => ({ imageName: r.imageName as string, deleteAfter: `${r.deleteAfterHours as number}h` }),
  };
}

/** The form the document uses; it has passed the schema, and uses exactly one. */
export function formOf(doc: Record<string, unknown>): Form | undefined {
  if ('image_policy' in doc) return design(doc);
  if ('agentImagePolicy' in doc) return anax(doc);
  if ('imageRemovalPolicy' in doc) return draft(doc);
  return undefined;
}

/** Which item of the document each converted list item came from (empty strings are dropped). */
export type Kept = Record<'constraints' | 'patterns', number[]>;

/** Where a problem of the converted ImagePolicy sits in the Open Horizon document. */
export function backPath(path: PathSegment[], form: Form, kept: Kept): PathSegment[] {
  const [top, sub, i, field] = path;
  if (top !== 'spec') return [];
  if (sub === 'removal' && typeof i === 'number') {
    const f = typeof field === 'string' ? form.fields[field as keyof Fields] : undefined;
    return f ? [...form.base, i, f] : [...form.base, i];
  }
  if ((sub === 'constraints' || sub === 'patterns') && typeof i === 'number') return [sub, kept[sub][i] ?? i, ...path.slice(3)];
  if (sub === 'constraints' || sub === 'properties' || sub === 'patterns') return path.slice(1);
  return [];
}
