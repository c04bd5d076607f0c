// Platform calls started but not yet on record, per organization. The monthly call quota is checked
// before an attempt against the usage rows already committed; without this, N concurrent requests
// of one organization all saw the same count and the quota overshot by up to N - 1. A reservation
// is held from the check until the request's usage rows are committed (or it ends without them).
// In memory: one companion process is the deployment this counts for.
export class PlatformReservations {
  private readonly held = new Map<string, number>();

  /** Platform attempts of `orgId` that passed the quota check and are not on record yet. */
  inFlight(orgId: string): number {
    return this.held.get(orgId) ?? 0;
  }

  /** Holds one call for `orgId`; the returned release is idempotent. */
  reserve(orgId: string): () => void {
    this.held.set(orgId, this.inFlight(orgId) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.inFlight(orgId) - 1;
      if (left > 0) this.held.set(orgId, left);
      else this.held.delete(orgId);
    };
  }
}
