/**
 * How Rocket.Chat's users.* endpoints name a user: `userId`, `username` or `user` (a username), any of them, or
 * none for the caller. An empty or blank value names nobody, as Rocket.Chat reads them.
 */
export interface UserReference {
  userId?: string;
  username?: string;
  user?: string;
}

/** The user a reference asks for (userId first, then username, then user), or null when it names nobody and so means the caller. */
export function referencedUser(reference: UserReference): { by: 'id' | 'username'; value: string } | null {
  if (isGiven(reference.userId)) return { by: 'id', value: reference.userId };
  if (isGiven(reference.username)) return { by: 'username', value: reference.username };
  if (isGiven(reference.user)) return { by: 'username', value: reference.user };
  return null;
}

/**
 * Whether the reference names the caller (Rocket.Chat's isUserFromParams): nothing named, or any of the three
 * equal to the caller's id or username. Such a request acts on the caller without any permission.
 */
export function namesCaller(reference: UserReference, caller: { userId: string; username: string }): boolean {
  if (referencedUser(reference) === null) return true;
  return reference.userId === caller.userId || reference.username === caller.username || reference.user === caller.username;
}

function isGiven(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
