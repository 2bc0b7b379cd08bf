// Links that open a spot in the phone's own map app: Apple Maps (an iPhone opens the app), and
// a geo: URI (Android's map apps). Client-safe: no server imports.
export function phoneMapLinks(l: { latitude: number; longitude: number }) {
  const lat = l.latitude.toFixed(6);
  const lng = l.longitude.toFixed(6);
  return { apple: `https://maps.apple.com/?ll=${lat},${lng}&q=${lat},${lng}`, geo: `geo:${lat},${lng}?q=${lat},${lng}` };
}
