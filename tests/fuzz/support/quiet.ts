import { beforeAll, vi } from "vitest";

/** Refusals log a warning each (lib/mdm/http.ts); thousands of them drown the report. Errors still show. */
export function quietRefusals(): void {
  beforeAll(() => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
  });
}
