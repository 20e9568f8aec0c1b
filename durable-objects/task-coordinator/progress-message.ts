/**
 * The progress message the coordinator sends over WebSockets (and the shape of its snapshot). Kept free of
 * runtime imports so the web app can import it. A public contract: add fields, never rename.
 */
export interface TableProgress {
  sourceSchema: string;
  sourceTable: string;
  targetSchema: string;
  targetTable: string;
  status: string;
  rowsCopied: number;
  bytesCopied: number;
  estimatedRows: number;
  chunksDone: number;
  chunksTotal: number;
  validation: string;
  error: { code: string; message: string } | null;
}

/** Change capture of a run in `cdc` or `full_load_and_cdc` mode. */
export interface CdcProgress {
  slot: string;
  consistentPoint: string;
  appliedLsn: string | null;
  /** How far the change stream has received WAL. */
  receivedLsn: string | null;
  changesApplied: number;
  transactionsApplied: number;
  lagBytes: number | null;
  lagSeconds: number | null;
  lastBatchAt: number | null;
}

export interface RunProgress {
  type: "progress";
  runId: string;
  taskId: string;
  status: "queued" | "running" | "succeeded" | "failed" | "stopped";
  phase: string;
  rowsCopied: number;
  bytesCopied: number;
  estimatedRows: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
  startedAt: number;
  finishedAt: number | null;
  error: { code: string; message: string } | null;
  tables: TableProgress[];
  cdc: CdcProgress | null;
}

