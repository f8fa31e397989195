// What the shift console (apps/console, in the browser) may use of the contracts: types only,
// imported with `import type` (eslint enforces it there) and erased at compile time. Its
// modules import nothing that the browser cannot have (no zod values reach the page).
export type { AlarmStateName, LatchState } from './alarm-states';
export type { AlarmSubject, AlarmView, Severity, Subsystem } from './alarm-view';
export type { BeamSnapshot, JournalAction, JournalEvent, MissingPartitionsHeader } from './alarm-journal';
export type {
  GainFit,
  PmtRunView,
  ProposalState,
  ProposalView,
  ReportEntry,
  RunState,
  RunSummary,
  RunView,
  ScanPoint,
  StepCheck,
  StepProgress,
  StepState,
} from './commissioning-view';
