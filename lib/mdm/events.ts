import { sendJob } from "@/lib/jobs/queue";

// Events of the device path, handed to the job queue: their handlers live with the domains they
// touch (lib/enrollment/after-enroll.ts), so lib/mdm imports none of them.

export const DEVICE_ENROLLED = "device-enrolled";

export interface DeviceEnrolled {
  deviceId: string;
  awaitingConfiguration: boolean;
  /** When the TokenUpdate was answered (ISO): a repeated job finds its commands since then. */
  at: string;
}

/** The first TokenUpdate made the device ACTIVE: its first queries, configurations and invitation follow in a job. */
export async function deviceEnrolled(e: DeviceEnrolled): Promise<void> {
  await sendJob(DEVICE_ENROLLED, e);
}
