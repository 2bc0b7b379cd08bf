import { DEVICE_ENROLLED } from "@/lib/mdm/events";

// Job kinds: the pg-boss queue names and `jobs.kind`. The handlers are in ./handlers.
export const JOB_KINDS = {
  deviceEnrolled: DEVICE_ENROLLED,
  commandSweep: "command-sweep",
  push: "push-devices",
  invitations: "send-invitations",
  configurationSync: "configuration-sync",
  directorySync: "directory-sync",
  androidSync: "android-sync",
  androidCommand: "android-command",
  androidBulk: "android-bulk",
  expiryNotices: "expiry-notices",
  inactiveDevices: "inactive-devices",
  collection: "device-collection",
  invitationReminders: "invitation-reminders",
  lostJobs: "lost-jobs",
  retention: "retention",
  webClip: "web-clip",
} as const;

export type JobKind = (typeof JOB_KINDS)[keyof typeof JOB_KINDS];
