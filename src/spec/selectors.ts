/** Kubernetes label selectors: matchLabels and matchExpressions, all of which must hold. */
import type {Labels, LabelSelector, LabelSelectorDocument} from './types.js';

export const EVERYTHING: LabelSelector = {matchLabels: {}, matchExpressions: []};

export function resolveSelector(document: LabelSelectorDocument | undefined): LabelSelector {
  if (document === undefined) return EVERYTHING;
  return {
    matchLabels: document.matchLabels ?? {},
    matchExpressions: (document.matchExpressions ?? []).map((r) => ({key: r.key, operator: r.operator, values: r.values ?? []})),
  };
}

export function matches(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) if (labels[key] !== value) return false;
  for (const {key, operator, values} of selector.matchExpressions) {
    const value = Object.hasOwn(labels, key) ? labels[key] : undefined;
    switch (operator) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
    }
  }
  return true;
}

/** `app=db,tier in (a,b),!legacy`, as kubectl prints selectors; `{}` (everything) is empty. */
export function selectorText(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const {key, operator, values} of selector.matchExpressions) {
    if (operator === 'Exists') parts.push(key);
    else if (operator === 'DoesNotExist') parts.push(`!${key}`);
    else parts.push(`${key} ${operator === 'In' ? 'in' : 'notin'} (${values.join(',')})`);
  }
  return parts.join(',');
}
