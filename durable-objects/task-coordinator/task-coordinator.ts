import { DurableObject } from "cloudflare:workers";
export class TaskCoordinator extends DurableObject<Env> {}
