import { z } from "zod";
import { UserError } from "@/lib/errors";

/** The zod field for an <input type="file">: browsers send an empty File when none is chosen. */
export function uploadedFile() {
  return z.instanceof(File, { message: "errors.upload.noFile" });
}

/** The bytes of an uploaded file, refusing an empty one and one over `max` bytes (`tooLargeCode`). */
export async function readUpload(f: File, max: number, tooLargeCode: string): Promise<Buffer> {
  if (f.size === 0) throw new UserError("upload.noFile");
  if (f.size > max) throw new UserError(tooLargeCode, { maxKb: max / 1024 });
  return Buffer.from(await f.arrayBuffer());
}
