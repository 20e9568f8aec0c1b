import { createApp } from "./app";
import { consumeChunkBatch, consumeDeadLetters } from "./queues/chunk-consumer";
import { consumeWebhookBatch } from "./webhooks/deliver";

export { TaskCoordinator } from "../../durable-objects/task-coordinator/task-coordinator";
export { CopyRunner } from "../../containers/copy-runner/container";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (batch.queue === "dtaas-webhooks") await consumeWebhookBatch(batch, env);
    else if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, env);
    else await consumeChunkBatch(batch, env);
  },
} satisfies ExportedHandler<Env>;
