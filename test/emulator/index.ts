// The provider emulator's public surface for tests and benchmarks.
export { startEmulator, type Emulator } from './emulator';
export { EMULATED_PROVIDERS, type Behavior, type BehaviorTarget, type EmulatedProvider, type RecordedRequest, type ReportedUsage } from './types';
