"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action, type ActionContext, type ActionOptions, type ActionRun, type ActionState } from "@/lib/auth/guard";
import { UserError } from "@/lib/errors";
import { wipeConfirmationChoices, wipeConfirmationMatches } from "@/lib/devices/detail";
import { runPortalAction } from "@/lib/portal/devices";
import { pushReason, type ActionOutcome, type ActionParams } from "@/lib/devices/actions";
import type { PortalAction } from "@/lib/privacy";
import type { Device, User } from "@/lib/db/generated/client";

// The end user's device actions on /my/devices/[id]. Each one: action.endUser (an end user, zod),
// then runPortalAction, which checks on the server that the device is the user's own (ownDevice)
// and that the privacy settings allow the action, and runs it through runDeviceAction (audited).

/** What the device page tracks after an action: the queued command ids and when it was asked. */
export type PortalActionState = ActionState & { commands?: string[]; at?: string };

const deviceId = z.string().max(64);
const text = (max: number) => z.string().trim().max(max, { error: "validation.tooLong" }).optional();
// Checked by lib/mdm/commands.ts, which says what is wrong with it.
const pin = z.string().max(100).optional();
const ticked = z.object({ deviceId, confirm: z.string().max(10).optional() });
const only = z.object({ deviceId });

type Ctx = ActionContext<User>;

/** The options and body of one portal action; each export wraps them in action.endUser. */
function portal<S extends z.ZodType<{ deviceId: string }>>(
  op: PortalAction,
  schema: S,
  params: (input: z.infer<S>) => ActionParams = () => ({}),
  message: (input: z.infer<S>, ctx: Ctx, outcome: ActionOutcome) => string = (_i, { t }) => t(`myDevice.done.${op}`),
  confirm?: (input: z.infer<S>, device: Device) => void,
): [ActionOptions<S>, ActionRun<S, User>] {
  return [{ name: `portal.${op}`, schema }, async (input, ctx): Promise<ActionState> => {
    const outcome = await runPortalAction(ctx.user, input.deviceId, op, params(input), { ip: ctx.ip, userAgent: ctx.userAgent }, confirm && ((d) => confirm(input, d)));
    revalidatePath(`/my/devices/${input.deviceId}`);
    const state: PortalActionState = { ok: true, message: message(input, ctx, outcome), commands: outcome.commands.map((c) => c.id), at: new Date().toISOString() };
    return state;
  }];
}

function requireTick(input: { confirm?: string }) {
  if (input.confirm !== "on") throw new UserError("device.confirmRequired");
}

const shownPin = (pin: string | undefined) => pin?.normalize("NFKC").trim();

// The wake-up is sent while the user waits: say so when Apple could not be reached.
export const checkInMine = action.endUser(...portal("checkIn", only, undefined, (_i, { t }, o) => {
  const reason = pushReason(o);
  return reason === "delivered" ? t("myDevice.done.checkIn") : t("myDevice.done.checkInNotWoken", { reason: t(`deviceDetail.push.${reason}`) });
}));

export const lockMine = action.endUser(...portal(
  "lock",
  z.object({ deviceId, message: text(300), phoneNumber: text(40), pin }),
  (i) => ({ message: i.message, phoneNumber: i.phoneNumber, pin: i.pin }),
  // A Mac's PIN is shown once, here, and kept nowhere readable.
  (i, { t }) => (shownPin(i.pin) ? t("myDevice.done.lockWithPin", { pin: shownPin(i.pin)! }) : t("myDevice.done.lock")),
));

// Android: a new passcode is made and shown once, here.
export const unlockMine = action.endUser(...portal(
  "unlock",
  ticked,
  (i) => (requireTick(i), {}),
  (_i, { t }, o) => (o.secret ? t("myDevice.done.unlockAndroid", { secret: o.secret }) : t("myDevice.done.unlock")),
));

// Android has no locate command: there it turns lost mode on (lib/portal/devices.ts).
export const locateMine = action.endUser(...portal(
  "locate",
  z.object({ deviceId, message: text(300), phoneNumber: text(40) }),
  (i) => ({ message: i.message, phoneNumber: i.phoneNumber }),
  (_i, { t }, o) => t(o.commands.some((c) => c.requestType === "START_LOST_MODE") ? "myDevice.done.locateAndroid" : "myDevice.done.locate"),
));

export const lostModeOffMine = action.endUser(...portal("lostModeOff", only));

export const wipeMine = action.endUser(...portal(
  "wipe",
  z.object({ deviceId, confirmation: z.string().max(200), pin }),
  (i) => ({ pin: i.pin }),
  (i, { t }) => (shownPin(i.pin) ? t("myDevice.done.wipeWithPin", { pin: shownPin(i.pin)! }) : t("myDevice.done.wipe")),
  (i, d) => {
    if (!wipeConfirmationMatches(d, i.confirmation)) throw new UserError("device.wipeConfirmMismatch", { expected: wipeConfirmationChoices(d).join(" / ") });
  },
));

export const retireMine = action.endUser(...portal("retire", ticked, (i) => (requireTick(i), {})));
