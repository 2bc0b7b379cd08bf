import type { MetadataRoute } from "next";

// /manifest.webmanifest: what "Install app" / "Add to Home Screen" takes. It opens the
// self-service portal (/my), which sends a signed-out visitor to sign-in and back.
// Colours: brand-700 from app/globals.css (the icons' tile) and the page's white.
export const THEME_COLOR = "#17614a";

export default function manifest(): MetadataRoute.Manifest {
  return {
    name: "Mamori",
    short_name: "Mamori",
    description: "Mobile device management",
    id: "/my",
    start_url: "/my",
    scope: "/",
    display: "standalone",
    theme_color: THEME_COLOR,
    background_color: "#ffffff",
    icons: [
      { src: "/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
      { src: "/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
      { src: "/icon-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
      { src: "/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" },
    ],
  };
}
