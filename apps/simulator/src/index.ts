export { startSimulator, type Simulator, type SimulatorOptions } from './simulator';
export { SimulatorModule } from './http/simulator-http.module';
export { loadSimSettings, SimSettingsError, type SimSettings } from './settings';
export type { Fault, FaultSpec } from './faults/fault-schema';
