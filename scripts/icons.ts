// Draws Mamori's mark and writes every icon the app serves; run `npx tsx scripts/icons.ts`
// after changing the drawing and commit what it writes:
//   public/icon.svg                the favicon for browsers that take SVG (rounded square)
//   public/favicon.ico             16, 32 and 48 px PNGs in one .ico, for /favicon.ico
//   public/apple-touch-icon.png    180 px, full bleed (iOS rounds the corners itself); also the Web Clip's Icon
//   public/icon-192.png, icon-512.png   web manifest icons, full bleed with the mark inside the maskable safe zone
// PNGs are rendered with sharp (librsvg inside), which Next.js installs for its image optimiser.
// The mark: 守り, "protection": a shield holding a phone, in the brand greens of app/globals.css.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";

const BRAND_700 = "#17614a";
const BRAND_800 = "#114a39";
const BRAND_100 = "#d5ebe3";
const WHITE = "#ffffff";

/** The mark on a 512×512 canvas; `rounded`: a rounded-square tile (favicon), else full bleed. */
export function markSvg({ rounded }: { rounded: boolean }): string {
  const tile = rounded ? `<rect width="512" height="512" rx="112" fill="${BRAND_700}"/>` : `<rect width="512" height="512" fill="${BRAND_700}"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512">
  <title>Mamori</title>
  ${tile}
  <path d="M256 84 L396 134 V236 C396 330 338 398 256 432 C174 398 116 330 116 236 V134 Z" fill="${WHITE}"/>
  <rect x="204" y="152" width="104" height="196" rx="20" fill="${BRAND_800}"/>
  <rect x="216" y="172" width="80" height="136" rx="6" fill="${BRAND_100}"/>
  <path d="M236 240 L252 256 L278 224" fill="none" stroke="${BRAND_700}" stroke-width="12" stroke-linecap="round" stroke-linejoin="round"/>
  <circle cx="256" cy="326" r="8" fill="${BRAND_100}"/>
</svg>
`;
}

async function png(svg: string, size: number): Promise<Buffer> {
  // Fixed density and no metadata: the same drawing gives the same bytes with the same sharp.
  return sharp(Buffer.from(svg), { density: 72 * (size / 512) * 4 }).resize(size, size).png({ compressionLevel: 9, palette: false }).toBuffer();
}

/** An .ico whose images are PNGs (every browser since IE 11 reads them). */
export function ico(images: { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  const entries: Buffer[] = [];
  let offset = 6 + 16 * images.length;
  for (const { size, png } of images) {
    const e = Buffer.alloc(16);
    e.writeUInt8(size >= 256 ? 0 : size, 0);
    e.writeUInt8(size >= 256 ? 0 : size, 1);
    e.writeUInt8(0, 2); // no palette
    e.writeUInt8(0, 3);
    e.writeUInt16LE(1, 4); // colour planes
    e.writeUInt16LE(32, 6); // bits per pixel
    e.writeUInt32LE(png.length, 8);
    e.writeUInt32LE(offset, 12);
    offset += png.length;
    entries.push(e);
  }
  return Buffer.concat([header, ...entries, ...images.map((i) => i.png)]);
}

async function main() {
  const out = join(import.meta.dirname, "..", "public");
  const tile = markSvg({ rounded: true });
  const bleed = markSvg({ rounded: false });
  writeFileSync(join(out, "icon.svg"), tile);
  writeFileSync(join(out, "favicon.ico"), ico(await Promise.all([16, 32, 48].map(async (size) => ({ size, png: await png(tile, size) })))));
  writeFileSync(join(out, "apple-touch-icon.png"), await png(bleed, 180));
  for (const size of [192, 512]) writeFileSync(join(out, `icon-${size}.png`), await png(bleed, size));
  console.log(`icons written to ${out}`);
}

await main();
