// The colours live once, as custom properties in app.css. CSS reads them with var(--name); a canvas
// or chart.js cannot, so they ask the browser for the resolved value.

/** The value of the app.css token `--name` (e.g. token('success') → '#16a34a'). */
export function token (name: string, element: Element = document.documentElement): string {
  return getComputedStyle(element).getPropertyValue(`--${name}`).trim()
}
