import type { PresentSnapshot } from '../../domain/rules/changes';

/**
 * The present-user list is the same for every caller: render it once per snapshot, not once per request. The
 * rendering lives as long as its snapshot does.
 */
export function renderedPerSnapshot<T>(render: (snapshot: PresentSnapshot) => T): (snapshot: PresentSnapshot) => T {
  const rendered = new WeakMap<PresentSnapshot, T>();
  return (snapshot) => {
    let result = rendered.get(snapshot);
    if (result === undefined) {
      result = render(snapshot);
      rendered.set(snapshot, result);
    }
    return result;
  };
}
