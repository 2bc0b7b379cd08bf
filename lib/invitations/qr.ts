import QRCode from "qrcode";

/** An SVG QR code (rendered on the server: no script, no image request). */
export async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
}
