/**
 * The label selector box: kubectl's syntax, parsed in the page by the very parser the CLI's `-l`
 * uses (crd/fields/label-selector.ts, bundled). A selector that does not parse is said so next to
 * the box and the last good one stays. The selector is kept in the address (`?l=`), so a filtered
 * view can be shared or reloaded.
 */
import { parseSelector, type Requirement } from '../../../../crd/fields/label-selector.js';
import { setText } from './dom.js';

const PARAM = 'l';
const SETTLE_MS = 120;

export function selectorFrom(text: string): { ok: true; requirements: Requirement[] | null } | { ok: false; error: string } {
  const t = text.trim();
  if (t === '') return { ok: true, requirements: null };
  const r = parseSelector(t);
  return r.ok ? { ok: true, requirements: r.requirements } : r;
}

export function followSelector(input: HTMLInputElement, error: HTMLElement, apply: (reqs: Requirement[] | null) => void): void {
  let timer: number | null = null;
  const run = () => {
    timer = null;
    const r = selectorFrom(input.value);
    if (!r.ok) {
      input.setAttribute('aria-invalid', 'true');
      setText(error, r.error);
      return;
    }
    input.removeAttribute('aria-invalid');
    setText(error, '');
    const url = new URL(window.location.href);
    if (input.value.trim()) url.searchParams.set(PARAM, input.value.trim());
    else url.searchParams.delete(PARAM);
    window.history.replaceState(null, '', url);
    apply(r.requirements);
  };
  input.value = new URL(window.location.href).searchParams.get(PARAM) ?? '';
  input.addEventListener('input', () => {
    if (timer !== null) window.clearTimeout(timer);
    timer = window.setTimeout(run, SETTLE_MS);
  });
  input.form?.addEventListener('submit', (e) => {
    e.preventDefault();
    if (timer !== null) window.clearTimeout(timer);
    run();
  });
  if (input.value) run();
}
