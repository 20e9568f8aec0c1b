import { createApp } from "./app";
import { consumeChunkBatch, consumeDeadLetters } from "./queues/chunk-consumer";

export { TaskCoordinator } from "../../durable-objects/task-coordinator/task-coordinator";
export { CopyRunner } from "../../containers/copy-runner/container";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, env);
    else await consumeChunkBatch(batch, env);
  },
} satisfies ExportedHandler<Env>;
