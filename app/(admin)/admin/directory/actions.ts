"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { saveDirectoryConfig } from "@/lib/directory/config";
import { testDirectory } from "@/lib/directory/service";
import { startDirectoryImport } from "@/lib/directory/sync";

const PATH = "/admin/directory";

const settings = z.object({
  url: z.string().max(500),
  startTls: z.literal("on").optional(),
  caPem: z.string().max(100_000).default(""),
  bindDn: z.string().max(1000),
  bindPassword: z.string().max(1000).default(""),
  baseDn: z.string().max(1000),
  filter: z.string().max(2000),
  nameAttribute: z.string().max(100),
  emailAttribute: z.string().max(100),
  usernameAttribute: z.string().max(100),
  groupAttribute: z.string().max(100).default(""),
  syncEnabled: z.literal("on").optional(),
  syncIntervalMinutes: z.string().max(20),
});

export const saveDirectory = action.admin({ name: "directory.settings", schema: settings }, async (input, { user, t, ip, userAgent }) => {
  const minutes = input.syncIntervalMinutes.trim();
  await saveDirectoryConfig(
    { ...input, startTls: input.startTls === "on", syncEnabled: input.syncEnabled === "on", syncIntervalMinutes: /^\d+$/.test(minutes) ? Number(minutes) : NaN },
    { id: user.id, label: user.email },
    { ip, userAgent },
  );
  revalidatePath(PATH);
  return { ok: true, message: t("directory.saved") };
});

export const testDirectoryAction = action.admin({ name: "directory.test", schema: z.object({}) }, async (_input, { user, t, ip, userAgent }) => {
  const { count } = await testDirectory({ id: user.id, label: user.email }, { ip, userAgent });
  return { ok: true, message: t("directory.testOk", { count }) };
});

export const importDirectory = action.admin({ name: "directory.sync", schema: z.object({}) }, async (_input, { user, t, ip, userAgent }) => {
  const job = await startDirectoryImport({ id: user.id, label: user.email }, { ip, userAgent });
  revalidatePath(PATH);
  return { ok: true, message: t("directory.importQueued"), jobId: job.id };
});
