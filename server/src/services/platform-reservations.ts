// Platform calls started but not yet on record, per organization. The monthly quota is checked
// before an attempt against the usage rows already committed; without this, N concurrent requests
// of one organization all saw the same count and the quota overshot by up to N - 1. A reservation
// holds one call and the call's estimated cost (its real cost is known only when it answers) from
// the check until the attempt ends; then, if its row counts against the quota, one call at its
// real cost until the request's usage rows are committed (routing.ts, settleAttempt).
// In memory: one companion process is the deployment this counts for.
export interface InFlight {
  readonly calls: number;
  readonly costMicros: number;
}

/** What an organization with nothing in flight holds. */
export const NOTHING_IN_FLIGHT: InFlight = { calls: 0, costMicros: 0 };

export class PlatformReservations {
  private readonly held = new Map<string, InFlight>();

  /** Platform attempts of `orgId` that passed the quota check and are not on record yet. */
  inFlight(orgId: string): InFlight {
    return this.held.get(orgId) ?? NOTHING_IN_FLIGHT;
  }

  /** Holds one call of estimated cost `costMicros` for `orgId`; the returned release is idempotent. */
  reserve(orgId: string, costMicros: number): () => void {
    this.add(orgId, 1, costMicros);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.add(orgId, -1, -costMicros);
    };
  }

  private add(orgId: string, calls: number, costMicros: number): void {
    const current = this.inFlight(orgId);
    const next = { calls: current.calls + calls, costMicros: current.costMicros + costMicros };
    if (next.calls > 0) this.held.set(orgId, next);
    else this.held.delete(orgId);
  }
}
