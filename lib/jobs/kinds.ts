// Job kinds: the pg-boss queue names and `jobs.kind`. The handlers are in ./handlers.
export const JOB_KINDS = {
  push: "push-devices",
  invitations: "send-invitations",
  configurationSync: "configuration-sync",
  directorySync: "directory-sync",
  androidSync: "android-sync",
  expiryNotices: "expiry-notices",
  inactiveDevices: "inactive-devices",
  collection: "device-collection",
  invitationReminders: "invitation-reminders",
  lostJobs: "lost-jobs",
} as const;

export type JobKind = (typeof JOB_KINDS)[keyof typeof JOB_KINDS];
