/**
 * Builds the admin UI into dist/ui, which the proxy serves at /ui. Asset names carry a
 * content hash, so the proxy can let browsers keep them for a year; no inline script or
 * style is emitted, so the page runs under a Content-Security-Policy of 'self' only.
 */
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/ui/",
  // The prerender and devtools parts of the preset are for other setups: a plain SPA here.
  plugins: [preact({ prerender: { enabled: false }, devToolsEnabled: false, prefreshEnabled: false })],
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../dist/ui", import.meta.url)),
    emptyOutDir: true,
    // The polyfill would be an inline script, which the CSP refuses; every browser we target has modulepreload.
    modulePreload: { polyfill: false },
    // Inlined assets would be data: URLs, which the CSP refuses too.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    sourcemap: false,
  },
});
