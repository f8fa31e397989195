/** Nest injection token for the loaded SystemConfig. */
export const SYSTEM_CONFIG = 'SYSTEM_CONFIG';
