/** Constants of the report format, in a leaf module (the IPC contract reads them; they import nothing). */
export const REPORT_SCHEMA_ID = 'ferry.migration-report/1';
/** The most migrations one export or import carries (a host evacuation is tens, not thousands). */
export const REPORT_MAX_MIGRATIONS = 500;
