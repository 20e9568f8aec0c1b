import { z } from "zod";
import { TableSelection, TaskMode, TaskOptions, Variables } from "../../engine/task-config";

/** What the Worker hands the coordinator to start a run. Persisted in DO storage: do not rename fields. */
export const RunSpec = z.object({
  runId: z.string(),
  taskId: z.string(),
  tenantId: z.string(),
  mode: TaskMode,
  sourceId: z.string(),
  targetId: z.string(),
  selection: TableSelection,
  options: TaskOptions,
  variables: Variables,
  /** Base URL the runner posts events to (the Worker's origin). */
  callbackBase: z.string().url(),
});
export type RunSpec = z.infer<typeof RunSpec>;
