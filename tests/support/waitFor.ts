/**
 * Waits for a condition outside the test's control (a child process, a real server): `probe` is called until it
 * returns a value, which is returned. A probe that throws counts as "not yet" (a port not answering yet); `unless`
 * is checked before each try and fails the wait at once (a process that has exited). No deadline of its own: the
 * test's jest timeout is the bound, so nothing asserts how long the wait took. The pause between tries only paces
 * the polling.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, { unless, everyMs = 50 }: { unless?: () => void; everyMs?: number } = {}): Promise<T> {
  for (;;) {
    unless?.();
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
