/** A file the browser saves rather than shows; never cached (every download is audited). */
export function download(body: BodyInit, filename: string, contentType: string): Response {
  return new Response(body, {
    headers: { "content-type": contentType, "content-disposition": `attachment; filename="${filename}"`, "cache-control": "no-store" },
  });
}
