/** What every manifest kind shares: its apiVersion, and how a problem in a manifest is reported. */
export const API_VERSION = 'imagectl.dev/v1alpha1' as const;

/** Where a document came from, for error messages and `describe`. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** One validation problem, printed as `file:line:col path: message`. */
export interface ManifestError {
  file: string;
  line: number;
  col: number;
  /** JSON path in dotted/bracket form, e.g. `spec.removal[0].imageName`; '' for the whole document. */
  path: string;
  message: string;
}

export function formatManifestError(e: ManifestError): string {
  const where = `${e.file}:${e.line}:${e.col}`;
  return e.path ? `${where} ${e.path}: ${e.message}` : `${where} ${e.message}`;
}
