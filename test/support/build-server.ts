// Global setup of the e2e and stress projects: builds server/dist once, before any test file
// starts a companion from it (test/support/spawned-server.ts).
import { buildServer } from './spawned-server';

export default function setup(): void {
  buildServer();
}
