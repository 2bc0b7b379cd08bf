"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { formAction, type ActionContext, type ActionState } from "@/lib/actions";
import { prisma } from "@/lib/db/client";
import { UserError } from "@/lib/errors";
import { runDeviceAction, type ActionOutcome, type ActionParams, type DeviceAction, pushReason } from "@/lib/devices/actions";
import { wipeConfirmationChoices, wipeConfirmationMatches } from "@/lib/devices/detail";
import { cancelCommand } from "@/lib/mdm/queue";
import type { User } from "@/lib/db/generated/client";

// Device actions on /admin/devices/[id]: one server action per button, each through formAction
// (admin only, zod), all running lib/devices/actions.ts runDeviceAction.

const deviceId = z.uuid();
const text = (max: number) => z.string().trim().max(max, { error: "validation.tooLong" }).optional();
// Checked by lib/mdm/commands.ts, which says what is wrong with it in the form's alert.
const pin = z.string().max(100).optional();
const tick = z.object({ deviceId, confirm: z.string().max(10).optional() });

/** A ticked confirmation box, refused with a sentence the form shows (field errors are not). */
function ticked(input: { confirm?: string }): ActionParams {
  if (input.confirm !== "on") throw new UserError("device.confirmRequired");
  return {};
}

const page = (id: string) => `/admin/devices/${id}`;
const actor = (u: User) => ({ id: u.id, label: u.email });

type Ctx = ActionContext<User>;

function pushNote(t: Ctx["t"], o: ActionOutcome): string {
  const reason = pushReason(o);
  return reason === "delivered" ? t("deviceDetail.done.checkIn") : t("deviceDetail.done.checkInFailed", { reason: t(`deviceDetail.push.${reason}`) });
}

/** The one shape of every device action: run it, refresh the page, say what happened. */
function deviceAction<S extends z.ZodType<{ deviceId: string }>>(
  action: DeviceAction,
  schema: S,
  params: (input: z.infer<S>, ctx: Ctx) => Promise<ActionParams> | ActionParams = () => ({}),
  message: (input: z.infer<S>, outcome: ActionOutcome, ctx: Ctx) => string = (_i, _o, { t }) => t(`deviceDetail.done.${action}`),
) {
  return formAction({ name: `device.${action}`, role: "admin", schema }, async (input, ctx): Promise<ActionState> => {
    const outcome = await runDeviceAction(input.deviceId, action, await params(input, ctx), actor(ctx.user), { ip: ctx.ip, userAgent: ctx.userAgent });
    revalidatePath(page(input.deviceId));
    return { ok: true, message: message(input, outcome, ctx) };
  });
}

const only = z.object({ deviceId });

export const refreshDevice = deviceAction("refresh", only);

export const checkInDevice = deviceAction("checkIn", only, undefined, (_i, o, { t }) => pushNote(t, o));

export const lockDevice = deviceAction(
  "lock",
  z.object({ deviceId, message: text(300), phoneNumber: text(40), pin }),
  (i) => ({ message: i.message, phoneNumber: i.phoneNumber, pin: i.pin }),
  // The PIN is shown once, here, and kept nowhere readable: the admin must note it.
  (i, _o, { t }) => (i.pin?.trim() ? t("deviceDetail.done.lockWithPin", { pin: i.pin.normalize("NFKC").trim() }) : t("deviceDetail.done.lock")),
);

export const clearPasscodeDevice = deviceAction("clearPasscode", tick, ticked);

export const lostModeOnDevice = deviceAction(
  "lostModeOn",
  z.object({ deviceId, message: text(300), phoneNumber: text(40), footnote: text(200) }),
  (i) => ({ message: i.message, phoneNumber: i.phoneNumber, footnote: i.footnote }),
);

export const lostModeOffDevice = deviceAction("lostModeOff", only);

export const locateDevice = deviceAction("locate", only);

export const playSoundDevice = deviceAction("playSound", only);

export const restartDevice = deviceAction("restart", only);

export const wipeDevice = deviceAction(
  "wipe",
  z.object({ deviceId, confirmation: z.string().max(200), pin }),
  async (i) => {
    const d = await prisma().device.findUnique({ where: { id: i.deviceId }, select: { name: true, serialNumber: true, udid: true } });
    if (!d) throw new UserError("device.notFound");
    if (!wipeConfirmationMatches(d, i.confirmation)) throw new UserError("device.wipeConfirmMismatch", { expected: wipeConfirmationChoices(d).join(" / ") });
    return { pin: i.pin };
  },
  (i, _o, { t }) => (i.pin?.trim() ? t("deviceDetail.done.wipeWithPin", { pin: i.pin.normalize("NFKC").trim() }) : t("deviceDetail.done.wipe")),
);

export const retireDevice = deviceAction("retire", tick, ticked);

export const cancelDeviceCommand = formAction(
  { name: "command.cancel", role: "admin", schema: z.object({ deviceId, commandId: z.uuid() }) },
  async (input, { user, t, ip, userAgent }) => {
    // Only a command of this device: the id in the form is not trusted to match the page.
    const c = await prisma().command.findFirst({ where: { id: input.commandId, deviceId: input.deviceId }, select: { id: true } });
    if (!c) throw new UserError("command.notCancellable");
    await cancelCommand(c.id, actor(user), { ip, userAgent });
    revalidatePath(page(input.deviceId));
    return { ok: true, message: t("deviceDetail.done.cancel") };
  },
);
