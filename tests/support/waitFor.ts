import type { PresenceEvent, SseClient } from '../api/stream/sseClient';

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

/**
 * Resolves when `predicate` holds, re-checked on every chunk the stream receives; fails at once if the stream ends
 * first. No deadline of its own: the test's jest timeout is the bound.
 */
export async function streamUntil(client: SseClient, predicate: () => boolean, what: string): Promise<void> {
  while (!predicate()) {
    if (client.ended) throw new Error(`the stream ended before ${what}; events so far: ${JSON.stringify(client.events)}`);
    // SseClient.until wakes on every chunk; its limit here only lets this loop look at `ended` again.
    await client.until(() => predicate() || client.ended, what, 1000).catch(() => undefined);
  }
}

/** The event at `index` (0 = the first one) once it has arrived: streamUntil for it. */
export async function streamEvent(client: SseClient, index: number): Promise<PresenceEvent> {
  await streamUntil(client, () => client.events.length > index, `event #${index}`);
  return client.events[index];
}
