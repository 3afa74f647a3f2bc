// PM2: two cluster workers sharing the port. Each worker signals 'ready' once it listens
// (wait_ready), and on SIGINT finishes in-flight requests before exiting (kill_timeout),
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
      kill_timeout: 12000,
      max_memory_restart: '512M',
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
