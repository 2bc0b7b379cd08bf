"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { saveSetting } from "@/lib/settings";
import { webClipAfterPublicUrlChange, webClipUrl } from "@/lib/portal/web-clip";
import { saveSmtpConfig } from "@/lib/mail/smtp";
import { sendTestMail } from "@/lib/mail/status";
import { getLocale } from "@/lib/i18n/server";

const lines = (s: string) => s.split(/[\n,;]+/).map((x) => x.trim()).filter(Boolean);

export const saveNotifications = action.admin(
  { name: "settings.update", schema: z.object({ recipients: z.string().max(20_000), thresholds: z.string().max(1000) }) },
  async (input, { user, t, ip, userAgent }) => {
    // Numbers stay as typed when they are not numbers, so the error can quote them.
    const thresholds = lines(input.thresholds).map((v) => (/^\d+$/.test(v) ? Number(v) : v)) as number[];
    await saveSetting("notifications", { recipients: lines(input.recipients), thresholds }, { id: user.id, label: user.email }, { ip, userAgent });
    revalidatePath("/admin/settings");
    return { ok: true, message: t("settings.saved") };
  },
);

export const saveMail = action.admin(
  { name: "settings.update", schema: z.object({ from: z.string().max(400) }) },
  async (input, { user, t, ip, userAgent }) => {
    await saveSetting("mail", { from: input.from.trim() }, { id: user.id, label: user.email }, { ip, userAgent });
    revalidatePath("/admin/settings");
    return { ok: true, message: t("settings.saved") };
  },
);

// Numbers stay as typed when they are not whole numbers, so the error can quote them.
const whole = (s: string): number => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : (s.trim() as unknown as number));

export const saveDevices = action.admin(
  { name: "settings.update", schema: z.object({ inactiveAfterDays: z.string().max(20) }) },
  async (input, { user, t, ip, userAgent }) => {
    await saveSetting("devices", { inactiveAfterDays: whole(input.inactiveAfterDays) }, { id: user.id, label: user.email }, { ip, userAgent });
    revalidatePath("/admin/settings");
    return { ok: true, message: t("settings.saved") };
  },
);

export const saveCollection = action.admin(
  { name: "settings.update", schema: z.object({ enabled: z.literal("on").optional(), intervalHours: z.string().max(20) }) },
  async (input, { user, t, ip, userAgent }) => {
    await saveSetting("collection", { enabled: input.enabled === "on", intervalHours: whole(input.intervalHours) }, { id: user.id, label: user.email }, { ip, userAgent });
    revalidatePath("/admin/settings");
    return { ok: true, message: t("settings.saved") };
  },
);

export const saveLicenses = action.admin(
  { name: "settings.update", schema: z.object({ devices: z.string().max(20) }) },
  async (input, { user, t, ip, userAgent }) => {
    // Empty: no limit.
    const devices = input.devices.trim() === "" ? null : whole(input.devices);
    await saveSetting("licenses", { devices }, { id: user.id, label: user.email }, { ip, userAgent });
    revalidatePath("/admin", "layout");
    return { ok: true, message: t("settings.saved") };
  },
);

const DAY_FIELD = z.string().max(20);

export const saveRetention = action.admin(
  {
    name: "settings.update",
    schema: z.object({ commandDays: DAY_FIELD, auditDays: DAY_FIELD, ticketDays: DAY_FIELD, rateLimitDays: DAY_FIELD, mailDays: DAY_FIELD }),
  },
  async (input, { user, t, ip, userAgent }) => {
    const value = Object.fromEntries(Object.entries(input).map(([k, v]) => [k, whole(v)])) as Record<keyof typeof input, number>;
    await saveSetting("retention", value, { id: user.id, label: user.email }, { ip, userAgent });
    revalidatePath("/admin/settings");
    return { ok: true, message: t("settings.saved") };
  },
);

export const saveGeneral = action.admin(
  { name: "settings.update", schema: z.object({ publicUrl: z.string().max(2000) }) },
  async (input, { user, t, ip, userAgent }) => {
    const actor = { id: user.id, label: user.email };
    const clipUrlBefore = await webClipUrl();
    await saveSetting("general", { publicUrl: input.publicUrl.trim() || null }, actor, { ip, userAgent });
    // The portal's Web Clip, when on, opens the public URL: a new one installs it again.
    const job = await webClipAfterPublicUrlChange(clipUrlBefore, actor, { ip, userAgent });
    revalidatePath("/admin/settings");
    return { ok: true, message: t(job ? "settings.webClipUpdating" : "settings.saved"), jobId: job?.id };
  },
);

export const saveSmtp = action.admin(
  {
    name: "mail.smtp",
    schema: z.object({
      host: z.string().max(300), port: z.string().max(20), security: z.string().max(20), username: z.string().max(400),
      password: z.string().max(1000), clearPassword: z.literal("on").optional(), caPem: z.string().max(100_000),
    }),
  },
  async (input, { user, t, ip, userAgent }) => {
    await saveSmtpConfig(
      { ...input, port: whole(input.port || "587"), security: input.security as "starttls", clearPassword: input.clearPassword === "on" },
      { id: user.id, label: user.email },
      { ip, userAgent },
    );
    revalidatePath("/admin/settings");
    return { ok: true, message: t("settings.smtp.saved") };
  },
);

export const sendTestMailAction = action.admin(
  { name: "mail.test", schema: z.object({}) },
  async (_input, { user, t, ip, userAgent }) => {
    const { transport } = await sendTestMail(user.email, await getLocale(), { id: user.id, label: user.email }, { ip, userAgent });
    revalidatePath("/admin", "layout");
    return { ok: true, message: t(transport === "outbox" ? "settings.testMail.kept" : "settings.testMail.sent", { to: user.email, transport: t(`settings.transports.${transport}`) }) };
  },
);
