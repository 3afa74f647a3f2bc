/**
 * What a person would call the device behind a User-Agent header: "Firefox on Android",
 * "Safari on iPhone", "curl". Rough on purpose: it names a session in a list, it decides nothing.
 */

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/(?:\b|Headless)(?:Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bWindows\b/, 'Windows'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

const MAX_DEVICE_LENGTH = 120;

export function describeDevice(userAgent: string | undefined): string {
  const ua = (userAgent ?? '').slice(0, 1000);
  if (ua.trim() === '') return 'Unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(ua))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  // An unknown client: its own first word ("okhttp/4.9" becomes "okhttp"), printable characters only.
  const name = ua.split(/[\s/;(]/)[0]?.replace(/[^\x20-\x7e]/g, '') ?? '';
  return (browser ?? system ?? (name || 'Unknown device')).slice(0, MAX_DEVICE_LENGTH);
}
