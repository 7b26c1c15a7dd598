import { defineConfig } from 'vite'
import type { ProxyOptions } from 'vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

// The page is served on :3000 (`vite` in development, `vite preview` of the build for the demo);
// /api and /socket.io go to the gateway, so the browser talks to one origin. The Host and Origin stay the
// browser's (the gateway checks them, issue 16); X-Forwarded-For names the browser, so the gateway's rate
// limits count each student and /health's details stay on this machine.
export function gatewayProxy (target: string): Record<string, ProxyOptions> {
  return {
    '/api': { target, xfwd: true },
    '/socket.io': { target, ws: true, xfwd: true },
    '/health': { target, xfwd: true }
  }
}

const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:3010'
const port = Number(process.env.WEB_PORT ?? process.env.PORT ?? 3000)
// A classroom server's names (ALLOWED_HOSTS, the list the services check too): vite itself refuses other Host headers.
const hostList = (process.env.ALLOWED_HOSTS ?? '').split(',').map(h => h.trim()).filter(h => h !== '')
const allowedHosts: string[] | true = hostList.includes('*') ? true : hostList

export default defineConfig({
  plugins: [svelte()],
  server: { port, strictPort: true, host: process.env.WEB_HOST ?? 'localhost', allowedHosts, proxy: gatewayProxy(gateway) },
  preview: { port, strictPort: true, host: process.env.WEB_HOST ?? 'localhost', allowedHosts, proxy: gatewayProxy(gateway) },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 1024 }
})
