// PM2: two cluster workers sharing the port. Each worker signals 'ready' once it listens
// (wait_ready), and on SIGINT finishes in-flight requests and lets clients close their idle
// sockets (src/http/drain.ts, at most 15 s) before exiting (kill_timeout, longer),
// so `pm2 reload lumina` drops nothing.
module.exports = {
  apps: [
    {
      name: 'lumina',
      script: 'dist/main.js',
      exec_mode: 'cluster',
      instances: 2,
      wait_ready: true,
      listen_timeout: 15000,
      kill_timeout: 18000,
      max_memory_restart: '512M',
      // V8 lets a busy worker's heap grow to several times what is live before a full GC (under
      // the bench's load: ~30 MB live, ~120 MB of heap, 190-200 MB RSS per worker). A young
      // generation of 4 MB semi-spaces and an old-generation limit of 256 MB (far above the
      // live set; upload bytes are outside it) keep a worker near 120-130 MB RSS under the same
      // load on Node.js 20, 150-190 MB on the pinned Node.js 24, whose larger binary alone adds
      // 15-20 MB of resident code that both workers share (npm run bench, issue 10), at the
      // price of more frequent, smaller collections. Smaller semi-spaces, one V8 thread or no
      // Maglev did not lower it (docs/capacity.md).
      node_args: ['--max-semi-space-size=4', '--max-old-space-size=256'],
      // PM2's built-in metrics (pm2-io) wrap every HTTP request of the workers to keep latency
      // histograms; pino logs every request and nothing reads those metrics, so they are off.
      // `pm2 monit` still shows CPU and memory.
      pmx: false,
      // `npm start` is production (view cache, hashed assets cached for a year, Secure cookies
      // behind a TLS proxy with TRUST_PROXY); `npm run dev` is development.
      env: {
        NODE_ENV: process.env.NODE_ENV || 'production',
        PORT: process.env.PORT || '8080',
      },
    },
  ],
};
