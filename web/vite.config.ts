import { defineConfig } from 'vite'
import type { ProxyOptions } from 'vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

// The page is served on :3000 (`vite` in development, `vite preview` of the build for the demo);
// /api and /socket.io go to the gateway, so the browser talks to one origin.
export function gatewayProxy (target: string): Record<string, ProxyOptions> {
  return {
    '/api': { target },
    '/socket.io': { target, ws: true },
    '/health': { target }
  }
}

const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:3010'
const port = Number(process.env.WEB_PORT ?? process.env.PORT ?? 3000)

export default defineConfig({
  plugins: [svelte()],
  server: { port, strictPort: true, host: process.env.WEB_HOST ?? 'localhost', proxy: gatewayProxy(gateway) },
  preview: { port, strictPort: true, host: process.env.WEB_HOST ?? 'localhost', proxy: gatewayProxy(gateway) },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 1024 }
})
