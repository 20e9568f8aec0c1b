/** Toast messages shown by the root layout. */

export interface Notice {
  id: number;
  kind: "error" | "info";
  message: string;
}

let next = 1;
export const notices = $state<Notice[]>([]);

export function notify(message: string, kind: Notice["kind"] = "info", timeoutMs = kind === "error" ? 8000 : 4000): void {
  const id = next++;
  notices.push({ id, kind, message });
  setTimeout(() => dismiss(id), timeoutMs);
}

export function dismiss(id: number): void {
  const i = notices.findIndex((n) => n.id === id);
  if (i >= 0) notices.splice(i, 1);
}
