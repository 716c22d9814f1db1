import { readFileSync } from 'node:fs';

/**
 * The soft limit on open files of this process (`ulimit -n`), from Linux's /proc/self/limits; undefined where it
 * cannot be read (another OS, no /proc) or is unlimited.
 */
export function readOpenFileLimit(limitsFile = '/proc/self/limits'): number | undefined {
  let text: string;
  try {
    text = readFileSync(limitsFile, 'utf8');
  } catch {
    return undefined;
  }
  return openFileLimitOf(text);
}

/** The soft "Max open files" of a /proc/<pid>/limits text. */
export function openFileLimitOf(limitsText: string): number | undefined {
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(limitsText);
  if (match === null || match[1] === 'unlimited') return undefined;
  return Number(match[1]);
}
