/**
 * Approved calibration records, commissioning service -> every service that compares with them
 * (alarms, intake, api), retained per PMT on Topics.calibration.record(pmt): the latest approved
 * version. A receiver adds it to its Detector (Detector.addCalibration, idempotent by version):
 * the alarm service uses it at once, no restart. calibration.yaml holds the seed versions.
 */
import { calibrationRecordSchema } from '@cicenns/model';
import { z } from 'zod';

export const calibrationMessageSchema = z
  .object({
    record: calibrationRecordSchema,
  })
  .strict();
export type CalibrationMessage = z.infer<typeof calibrationMessageSchema>;
