import type { TestProject } from "vitest/node";
import { createTestDatabase } from "./test-database";
import { randomBytes } from "node:crypto";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    dataKey: string;
  }
}

// One shared throwaway database for the run; tests that need an empty one make their own.
export default async function setup(project: TestProject) {
  const db = await createTestDatabase();
  project.provide("databaseUrl", db.url);
  project.provide("dataKey", randomBytes(32).toString("base64"));
  return () => db.drop();
}
