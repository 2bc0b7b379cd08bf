"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action, type ActionContext, type ActionOptions, type ActionRun, type ActionState } from "@/lib/auth/guard";
import { prisma } from "@/lib/db/client";
import { UserError } from "@/lib/errors";
import { runDeviceAction, type ActionOutcome, type ActionParams, type DeviceAction, pushReason } from "@/lib/devices/actions";
import { wipeConfirmationChoices, wipeConfirmationMatches } from "@/lib/devices/detail";
import { cancelCommand } from "@/lib/mdm/queue";
import type { User } from "@/lib/db/generated/client";

// Device actions on /admin/devices/[id]: one server action per button, each through action.admin
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

/** The one shape of every device action (wrapped in action.admin): run it, refresh the page, say what happened. */
function device<S extends z.ZodType<{ deviceId: string }>>(
  op: DeviceAction,
  schema: S,
  params: (input: z.infer<S>, ctx: Ctx) => Promise<ActionParams> | ActionParams = () => ({}),
  message: (input: z.infer<S>, outcome: ActionOutcome, ctx: Ctx) => string = (_i, _o, { t }) => t(`deviceDetail.done.${op}`),
): [ActionOptions<S>, ActionRun<S, User>] {
  return [{ name: `device.${op}`, schema }, async (input, ctx): Promise<ActionState> => {
    const outcome = await runDeviceAction(input.deviceId, op, await params(input, ctx), actor(ctx.user), { ip: ctx.ip, userAgent: ctx.userAgent });
    revalidatePath(page(input.deviceId));
    return { ok: true, message: message(input, outcome, ctx) };
  }];
}

const only = z.object({ deviceId });

export const refreshDevice = action.admin(...device("refresh", only));

export const checkInDevice = action.admin(...device("checkIn", only, undefined, (_i, o, { t }) => pushNote(t, o)));

export const renameDevice = action.admin(...device(
  "rename",
  // The length is checked by lib/mdm/commands.ts, which says so in the form's alert.
  z.object({ deviceId, deviceName: z.string().max(500) }),
  (i) => ({ deviceName: i.deviceName }),
  (i, _o, { t }) => t("deviceDetail.done.rename", { name: i.deviceName.normalize("NFC").trim() }),
));

export const lockDevice = action.admin(...device(
  "lock",
  z.object({ deviceId, message: text(300), phoneNumber: text(40), pin }),
  (i) => ({ message: i.message, phoneNumber: i.phoneNumber, pin: i.pin }),
  // The PIN is shown once, here, and kept nowhere readable: the admin must note it.
  (i, _o, { t }) => (i.pin?.trim() ? t("deviceDetail.done.lockWithPin", { pin: i.pin.normalize("NFKC").trim() }) : t("deviceDetail.done.lock")),
));

export const clearPasscodeDevice = action.admin(...device(
  "clearPasscode",
  tick,
  ticked,
  // Android: the new passcode Mamori made, shown once here and kept nowhere readable.
  (_i, o, { t }) => (o.secret ? t("deviceDetail.done.clearPasscodeAndroid", { secret: o.secret }) : t("deviceDetail.done.clearPasscode")),
));

export const lostModeOnDevice = action.admin(...device(
  "lostModeOn",
  z.object({ deviceId, message: text(300), phoneNumber: text(40), footnote: text(200), emailAddress: text(200), streetAddress: text(300), organization: text(100) }),
  (i) => ({ message: i.message, phoneNumber: i.phoneNumber, footnote: i.footnote, emailAddress: i.emailAddress, streetAddress: i.streetAddress, organization: i.organization }),
));

export const lostModeOffDevice = action.admin(...device("lostModeOff", only));

export const locateDevice = action.admin(...device("locate", only));

export const playSoundDevice = action.admin(...device("playSound", only));

export const restartDevice = action.admin(...device("restart", only));

export const wipeDevice = action.admin(...device(
  "wipe",
  z.object({ deviceId, confirmation: z.string().max(200), pin, keepResetProtection: z.string().max(10).optional() }),
  async (i) => {
    const d = await prisma().device.findUnique({ where: { id: i.deviceId }, select: { name: true, serialNumber: true, udid: true } });
    if (!d) throw new UserError("device.notFound");
    if (!wipeConfirmationMatches(d, i.confirmation)) throw new UserError("device.wipeConfirmMismatch", { expected: wipeConfirmationChoices(d).join(" / ") });
    return { pin: i.pin, keepResetProtection: i.keepResetProtection === "on" };
  },
  (i, _o, { t }) => (i.pin?.trim() ? t("deviceDetail.done.wipeWithPin", { pin: i.pin.normalize("NFKC").trim() }) : t("deviceDetail.done.wipe")),
));

export const retireDevice = action.admin(...device("retire", tick, ticked));

export const cancelDeviceCommand = action.admin(
  { name: "command.cancel", schema: z.object({ deviceId, commandId: z.uuid() }) },
  async (input, { user, t, ip, userAgent }) => {
    // Only a command of this device: the id in the form is not trusted to match the page.
    const c = await prisma().command.findFirst({ where: { id: input.commandId, deviceId: input.deviceId }, select: { id: true } });
    if (!c) throw new UserError("command.notCancellable");
    await cancelCommand(c.id, actor(user), { ip, userAgent });
    revalidatePath(page(input.deviceId));
    return { ok: true, message: t("deviceDetail.done.cancel") };
  },
);
