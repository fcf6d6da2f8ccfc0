import { isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { Manifest } from './api/object.js';
import { locate } from './locate.js';
import { convertOpenHorizon, isOpenHorizonShape, nameFromFile } from './openhorizon/convert.js';
import type { ManifestError, SourcePos } from './types.js';
import { checkManifest, formatPath } from './validate.js';
import { inspectDocument, prescan, TOO_DEEP } from './yaml-guard.js';
import { inputError, MAX_FILE_BYTES, tooLarge, type FileInput } from './input.js';

export { inputError, ioMessage, isManifestName, MANIFEST_EXTENSIONS, MAX_FILE_BYTES, tooLarge, type FileInput } from './input.js';

export type { Manifest } from './api/object.js';

export interface LoadedObject {
  object: Manifest;
  source: SourcePos;
  /** 0-based index of the document in its file. */
  doc: number;
}

export type LoadResult = { ok: true; objects: LoadedObject[] } | { ok: false; errors: ManifestError[] };

/** Enough for any hand-written manifest; a billion-laughs document needs far more. */
export const MAX_ALIAS_COUNT = 100;
export const STDIN_NAME = '<stdin>';

interface ParsedFile {
  file: string;
  errors: ManifestError[];
  /** nameAt.path: where a duplicate name is reported ('' for an Open Horizon policy, named by its file) */
  entries: { loaded: LoadedObject; nameAt: SourcePos & { path: string } }[];
}

export interface ParseOptions {
  /** the name of an Open Horizon policy (default: its file's name; stdin has none) */
  name?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of a file, or why it is not YAML. */
function decode(input: string | Uint8Array): string | { message: string } {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (size > MAX_FILE_BYTES) return { message: tooLarge(MAX_FILE_BYTES) };
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    if ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff)) {
      return { message: 'binary file, not YAML (it looks like UTF-16: save it as UTF-8)' };
    }
    if (input.includes(0)) return { message: 'binary file, not YAML (it contains a NUL byte)' };
    try {
      text = utf8.decode(input);
    } catch {
      return { message: 'binary file, not YAML (it is not valid UTF-8)' };
    }
  }
  if (text.includes('\0')) return { message: 'binary file, not YAML (it contains a NUL byte)' };
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A lone `---`, or a document of nothing but comments. */
function isEmptyDocument(doc: Document): boolean {
  const c = doc.contents;
  return c === null || (isScalar(c) && c.value === null && !c.source && !c.tag && !c.anchor);
}

type At = (offset: number, path: string, message: string) => ManifestError;

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return { line, col: offset - text.lastIndexOf('\n', offset - 1) };
}

/** yaml's own errors, one per position; a stack overflow in its composer becomes a depth error. */
function syntaxErrors(doc: Document, at: At): ManifestError[] {
  if (doc.errors.some((e) => e.code === 'RESOURCE_EXHAUSTION')) {
    // where yaml's stack ran out depends on the stack size; the depth walk is deterministic
    const deep = inspectDocument(doc).problems.find((p) => p.message === TOO_DEEP);
    if (deep) return [at(deep.offset, formatPath(deep.path), TOO_DEEP)];
  }
  const out = new Map<string, ManifestError>();
  for (const e of doc.errors) {
    const err = at(e.pos[0], '', e.code === 'RESOURCE_EXHAUSTION' ? TOO_DEEP : e.message);
    out.set(`${err.line}:${err.col}:${err.message}`, err);
  }
  return [...out.values()];
}

/** One non-empty, well-formed document: to JS, then validated (an Open Horizon policy converted first). */
function parseDocument(doc: Document, at: At, ohName: string | undefined): { object?: Manifest; errors: ManifestError[]; openHorizon?: boolean } {
  const { problems, firstAlias } = inspectDocument(doc);
  if (problems.length > 0) return { errors: problems.map((p) => at(p.offset, formatPath(p.path), p.message)) };
  let object: unknown;
  try {
    object = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const alias = e instanceof ReferenceError && /alias/i.test(e.message);
    return { errors: [alias ? at(firstAlias, '', 'too many aliases (alias bomb?)') : at(locate(doc, []), '', TOO_DEEP)] };
  }
  if (isOpenHorizonShape(object)) {
    const r = convertOpenHorizon(object, ohName);
    if (!r.ok) return { errors: r.problems.map((p) => at(locate(doc, p.path), formatPath(p.path), p.message)) };
    return { object: r.object, errors: [], openHorizon: true };
  }
  const r = checkManifest(object);
  return r.ok ? { object: r.manifest, errors: [] } : { errors: r.problems.map((p) => at(locate(doc, p.path), formatPath(p.path), p.message)) };
}

function parseFile(input: string | Uint8Array, file: string, opts: ParseOptions = {}): ParsedFile {
  const out: ParsedFile = { file, errors: [], entries: [] };
  const text = decode(input);
  if (typeof text !== 'string') {
    out.errors.push(inputError(file, text.message));
    return out;
  }
  const tooBig = prescan(text);
  if (tooBig) {
    out.errors.push({ file, ...lineCol(text, tooBig.offset), path: '', message: tooBig.message });
    return out;
  }
  const lc = new LineCounter();
  const at: At = (offset, path, message) => ({ file, ...lc.linePos(offset), path, message });
  // uniqueKeys is checked by inspectDocument: yaml's own check is quadratic in the keys of a map
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, strict: true, lineCounter: lc });
  let documents = 0;
  docs.forEach((doc, index) => {
    if (doc.errors.length === 0 && isEmptyDocument(doc)) return;
    documents++;
    if (doc.errors.length > 0) {
      out.errors.push(...syntaxErrors(doc, at));
      return;
    }
    const ohName = opts.name ?? (file === STDIN_NAME ? undefined : nameFromFile(file));
    const { object, errors, openHorizon } = parseDocument(doc, at, ohName);
    out.errors.push(...errors);
    if (!object) return;
    const source = { file, ...lc.linePos(locate(doc, [])) };
    const nameAt = openHorizon ? { ...source, path: '' } : { file, ...lc.linePos(locate(doc, ['metadata', 'name'])), path: 'metadata.name' };
    out.entries.push({ loaded: { object, source, doc: index }, nameAt });
  });
  if (documents === 0) out.errors.push(inputError(file, 'empty file (no manifests)'));
  return out;
}

/** Report the second of two objects with the same kind and name, naming the first. */
function checkDuplicates(files: ParsedFile[]): void {
  const first = new Map<string, SourcePos>();
  for (const f of files) {
    for (const { loaded, nameAt } of f.entries) {
      const key = `${loaded.object.kind}/${loaded.object.metadata.name}`;
      const prev = first.get(key);
      if (!prev) {
        first.set(key, loaded.source);
        continue;
      }
      const message = `duplicate ${loaded.object.kind} ${JSON.stringify(loaded.object.metadata.name)}: first defined at ${prev.file}:${prev.line}`;
      f.errors.push({ ...nameAt, message });
    }
  }
}

function finish(files: ParsedFile[]): LoadResult {
  const errors = files.flatMap((f) => [...f.errors].sort((a, b) => a.line - b.line || a.col - b.col));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, objects: files.flatMap((f) => f.entries.map((e) => e.loaded)) };
}

/** Parse and validate one file's content. Pure: no I/O. */
export function parseManifestText(text: string | Uint8Array, file: string, opts: ParseOptions = {}): LoadResult {
  const parsed = parseFile(text, file, opts);
  checkDuplicates([parsed]);
  return finish([parsed]);
}

/**
 * Parse and validate a whole set of files (the reading is the caller's), reporting every problem
 * of every file at once; a name defined twice across the set is an error. Pure: no I/O.
 */
export class SetParser {
  private readonly files: ParsedFile[] = [];
  constructor(private readonly opts: ParseOptions = {}) {}

  add(input: FileInput): void {
    if ('error' in input) this.files.push({ file: input.file, errors: [input.error], entries: [] });
    else this.files.push(parseFile(input.data, input.file, { name: this.opts.name }));
  }

  finish(): LoadResult {
    checkDuplicates(this.files);
    return finish(this.files);
  }
}
