import { ChunkMessage, type Job } from "../../../engine/jobs/protocol";
import { createLogger } from "../../../engine/log/logger";
import { runnerFetch } from "../runner/runner-client";

/** Delay before redelivering a message the runner could not take: 2, 4, 8 … seconds, at most 60. */
const redeliveryDelay = (attempts: number) => Math.min(60, 2 ** attempts);

/**
 * Hands queued attempts to the copy runner. The message holds only ids; the coordinator builds the
 * payload (with credentials, in memory) when asked. The runner answers 202 once it has taken the job
 * and reports progress and the result to the coordinator itself, so a batch never waits on a copy.
 */
export async function consumeChunkBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const log = createLogger("queue", env);
  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = ChunkMessage.safeParse(msg.body);
      if (!parsed.success) {
        // A poison message can never succeed: acknowledge it so it does not block the queue.
        log.error("dropping malformed chunk message", { id: msg.id });
        msg.ack();
        return;
      }
      const { taskId, runId, attemptId } = parsed.data;
      const attemptIds = parsed.data.attemptIds ?? [attemptId];
      const coordinator = env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(taskId));
      try {
        // Workers RPC's type mapping cannot follow Job's recursive partitioning type (it yields never).
        const { jobs } = (await coordinator.jobsFor(attemptIds)) as { jobs: Job[] };
        if (jobs.length === 0) {
          msg.ack();
          return;
        }
        // What is left of a batch goes as a batch while it holds more than one copy.
        const body = jobs.length === 1 ? jobs[0] : { type: "batch", jobs };
        const res = await runnerFetch(env, runId, "/jobs", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        if (res.status === 202 || res.status === 200) {
          msg.ack();
          return;
        }
        const text = await res.text();
        if (res.status >= 400 && res.status < 500 && res.status !== 429) {
          log.error("runner refused a job", { attemptIds, status: res.status });
          const reason = `The copy runner refused the job (${res.status}): ${text.slice(0, 200)}`;
          for (const job of jobs) await coordinator.jobUndeliverable(job.attemptId, reason);
          msg.ack();
          return;
        }
        log.warn("runner busy or failing; redelivering", { attemptIds, status: res.status });
        msg.retry({ delaySeconds: redeliveryDelay(msg.attempts) });
      } catch (e) {
        log.warn("runner unreachable; redelivering", { attemptIds, error: e });
        msg.retry({ delaySeconds: redeliveryDelay(msg.attempts) });
      }
    }),
  );
}

/** Attempts the queue gave up on: the coordinator counts them as failed attempts and decides. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = ChunkMessage.safeParse(msg.body);
      if (parsed.success) {
        const coordinator = env.TASK_COORDINATOR.get(env.TASK_COORDINATOR.idFromName(parsed.data.taskId));
        for (const attemptId of parsed.data.attemptIds ?? [parsed.data.attemptId]) {
          await coordinator.jobUndeliverable(attemptId, "The copy runner could not be reached after repeated attempts.");
        }
      }
      msg.ack();
    }),
  );
}
