/** Who made a request, as established by authentication. */
export interface Identity {
  userId: string;
  username: string;
  roles: readonly string[];
  /** The hash of the token the request used, so logout can revoke exactly that token. */
  hashedToken: string;
}

export function isAdmin(identity: Identity): boolean {
  return identity.roles.includes('admin');
}
