/**
 * A detector named differently from ours, for the tests of "names are configuration": the
 * repository's inventory and calibration with the veto panels called VETO01..VETO32 (PMTs
 * VETO01-A ...) and, optionally, crystals without a temperature sensor.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes';

export interface RenamedDetector {
  detector: string;
  calibration: string;
}

export function writeRenamedDetector(dir: string, o: { withoutSensor?: string[] } = {}): RenamedDetector {
  const rename = (text: string) => text.replace(/\bPSV(\d\d)/g, 'VETO$1');
  let detector = rename(readFileSync(join(ROOT, 'config', 'detector.yaml'), 'utf8'));
  for (const crystal of o.withoutSensor ?? []) {
    // the group's `sensor:` line and the sensor itself
    detector = detector.replace(new RegExp(`\\n\\s+sensor: T-${crystal}\\n`), '\n');
    detector = detector.replace(new RegExp(`\\n\\s+- \\{ id: T-${crystal},[^\\n]*`), '');
  }
  const files = { detector: join(dir, 'detector.yaml'), calibration: join(dir, 'calibration.yaml') };
  writeFileSync(files.detector, detector);
  writeFileSync(files.calibration, rename(readFileSync(join(ROOT, 'config', 'calibration.yaml'), 'utf8')));
  return files;
}
