/**
 * `npm run seed:demo`: fills the configured store with a small demo world, so a fresh install
 * has something to look at: six people, friendships (one request still pending), 24 photos,
 * likes, comments and a few chat messages.
 *
 * Works on either backend: configuration comes from the environment (and .env) through
 * loadConfig(), exactly like the server, so `STORAGE_BACKEND=aws` with the AWS keys fills MySQL,
 * DynamoDB and S3. Images are drawn here (SVG scenes rendered and grained with sharp, nothing
 * downloaded) and go through the real upload pipeline (services.photos.upload).
 *
 * Idempotent enough: if a demo user already exists, it says so and exits 0 without writing.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { loadConfig, SESSION_SECRET_FILE, withSessionSecret, type Config } from '../src/config';
import { readOrCreateSecret } from '../src/lib/secret-file';
import { createContainer, type Container } from '../src/container';
import type { User, Viewer } from '../src/domain/types';
import { createLogger } from '../src/lib/logger';
import { xorshift32 } from './lib/xorshift';

const PASSWORD = 'lumina-demo';
const USERNAMES = ['ada', 'grace', 'linus', 'margaret', 'alan', 'hedy'] as const;
type Name = (typeof USERNAMES)[number];

/** Accepted friendships; hedy → ada stays pending. */
const FRIENDS: [Name, Name][] = [
  ['ada', 'grace'],
  ['ada', 'linus'],
  ['ada', 'margaret'],
  ['grace', 'margaret'],
  ['grace', 'alan'],
  ['linus', 'alan'],
];
const PENDING: [Name, Name] = ['hedy', 'ada'];

type Scene = 'sunset' | 'ocean' | 'city' | 'forest' | 'bokeh' | 'dunes';

interface DemoPhoto {
  owner: Name;
  scene: Scene;
  title: string;
  topic: string | null;
  caption: string;
  size: [number, number];
  /** Uploaded as PNG instead of JPEG, to show the pipeline takes either. */
  png?: boolean;
}

const LANDSCAPE: [number, number] = [1600, 1067];
const PORTRAIT: [number, number] = [1080, 1350];
const SQUARE: [number, number] = [1200, 1200];
const WIDE: [number, number] = [2400, 1350];
const TALL: [number, number] = [900, 1600];
const BIG: [number, number] = [3000, 2000];

const PHOTOS: DemoPhoto[] = [
  {
    owner: 'ada',
    scene: 'sunset',
    title: 'Golden hour',
    topic: 'landscape',
    caption: 'Golden hour over the ridge. Worth the climb.',
    size: LANDSCAPE,
  },
  {
    owner: 'ada',
    scene: 'ocean',
    title: 'Low tide',
    topic: 'sea',
    caption: 'Low tide, nobody else on the beach.',
    size: WIDE,
  },
  {
    owner: 'ada',
    scene: 'city',
    title: 'Night shift',
    topic: 'city',
    caption: 'The office lights never quite go out.',
    size: PORTRAIT,
  },
  {
    owner: 'ada',
    scene: 'bokeh',
    title: 'Festival',
    topic: 'night',
    caption: 'Lantern festival, shot wide open.',
    size: SQUARE,
  },
  {
    owner: 'grace',
    scene: 'forest',
    title: 'Morning fog',
    topic: 'nature',
    caption: 'Fog lifting off the pines at 7am.',
    size: TALL,
  },
  {
    owner: 'grace',
    scene: 'dunes',
    title: 'Dune sea',
    topic: 'travel',
    caption: 'Endless dunes — the wind redraws them every night.',
    size: BIG,
  },
  {
    owner: 'grace',
    scene: 'sunset',
    title: 'Last light',
    topic: 'landscape',
    caption: 'Last light on the way home.',
    size: WIDE,
    png: true,
  },
  {
    owner: 'grace',
    scene: 'city',
    title: 'Skyline',
    topic: 'city',
    caption: 'Skyline from the ferry.',
    size: LANDSCAPE,
  },
  {
    owner: 'linus',
    scene: 'bokeh',
    title: 'Rainy window',
    topic: 'night',
    caption: 'Rain on the window, traffic below.',
    size: PORTRAIT,
  },
  {
    owner: 'linus',
    scene: 'ocean',
    title: 'Breakwater',
    topic: 'sea',
    caption: 'Waves against the breakwater.',
    size: LANDSCAPE,
  },
  {
    owner: 'linus',
    scene: 'forest',
    title: 'Canopy',
    topic: 'nature',
    caption: 'Looking straight up through the canopy.',
    size: SQUARE,
  },
  {
    owner: 'linus',
    scene: 'dunes',
    title: 'Salt flats',
    topic: 'travel',
    caption: 'Salt flats at noon, hotter than it looks.',
    size: WIDE,
  },
  {
    owner: 'margaret',
    scene: 'city',
    title: 'Launch night',
    topic: 'city',
    caption: 'Launch night downtown. We shipped it!',
    size: BIG,
  },
  {
    owner: 'margaret',
    scene: 'sunset',
    title: 'Harbour',
    topic: 'landscape',
    caption: 'Harbour at dusk, boats coming in.',
    size: TALL,
  },
  {
    owner: 'margaret',
    scene: 'bokeh',
    title: 'Fairy lights',
    topic: null,
    caption: 'Fairy lights in the garden.',
    size: LANDSCAPE,
  },
  {
    owner: 'margaret',
    scene: 'forest',
    title: 'Autumn',
    topic: 'nature',
    caption: 'First autumn walk of the year.',
    size: PORTRAIT,
    png: true,
  },
  {
    owner: 'alan',
    scene: 'ocean',
    title: 'Open water',
    topic: 'sea',
    caption: 'Open water, halfway across.',
    size: SQUARE,
  },
  {
    owner: 'alan',
    scene: 'dunes',
    title: 'Caravan',
    topic: 'travel',
    caption: 'Following the old caravan route.',
    size: LANDSCAPE,
  },
  {
    owner: 'alan',
    scene: 'city',
    title: 'Rooftops',
    topic: 'city',
    caption: 'Rooftops after the rain.',
    size: WIDE,
  },
  {
    owner: 'alan',
    scene: 'sunset',
    title: 'Long drive',
    topic: 'travel',
    caption: 'Long drive west, chasing the sun.',
    size: TALL,
  },
  {
    owner: 'hedy',
    scene: 'bokeh',
    title: 'Signals',
    topic: 'night',
    caption: 'Signals in the dark: every light a frequency.',
    size: PORTRAIT,
  },
  {
    owner: 'hedy',
    scene: 'ocean',
    title: 'Calm',
    topic: 'sea',
    caption: 'Calm before the storm.',
    size: LANDSCAPE,
  },
  {
    owner: 'hedy',
    scene: 'forest',
    title: 'Clearing',
    topic: 'nature',
    caption: 'A clearing nobody marked on the map.',
    size: SQUARE,
  },
  {
    owner: 'hedy',
    scene: 'dunes',
    title: 'Mirage',
    topic: null,
    caption: 'Mirage or lake? Mirage.',
    size: BIG,
  },
];

const COMMENTS: { photo: number; author: Name; text: string }[] = [
  { photo: 0, author: 'grace', text: 'Those colours! Which trail is this?' },
  { photo: 0, author: 'ada', text: 'The north ridge, about two hours up.' },
  { photo: 0, author: 'margaret', text: 'Adding it to my list.' },
  { photo: 1, author: 'linus', text: 'I can hear the waves from here.' },
  { photo: 4, author: 'ada', text: 'So moody. Love it.' },
  { photo: 5, author: 'alan', text: 'How long did it take to get there?' },
  { photo: 5, author: 'grace', text: 'Three days by jeep, worth every bump.' },
  { photo: 8, author: 'ada', text: 'Very Blade Runner.' },
  { photo: 12, author: 'grace', text: 'Congratulations to the whole team!' },
  { photo: 12, author: 'ada', text: 'Well deserved 🎉' },
  { photo: 13, author: 'grace', text: 'Beautiful light.' },
  { photo: 17, author: 'linus', text: 'Take me with you next time.' },
  { photo: 18, author: 'grace', text: 'That reflection in the puddles!' },
];

const MESSAGES: { from: Name; to: Name; text: string }[] = [
  { from: 'ada', to: 'grace', text: 'Are we still on for the hike on Saturday?' },
  { from: 'grace', to: 'ada', text: 'Yes! Meet at the trailhead at 8?' },
  { from: 'ada', to: 'grace', text: 'Perfect. I will bring coffee.' },
  { from: 'grace', to: 'ada', text: 'And the good camera, please 📷' },
  { from: 'linus', to: 'ada', text: 'Your ridge photo is my new wallpaper.' },
  { from: 'ada', to: 'linus', text: 'Ha, thank you!' },
  { from: 'margaret', to: 'grace', text: 'Launch went fine, drinks on me tonight.' },
  { from: 'alan', to: 'linus', text: 'Chess later?' },
];

// ---------------------------------------------------------------------------------------------
// Drawing: an SVG scene rendered by sharp (librsvg), with a little film grain blended in.

/** Deterministic pseudo-random numbers, so a re-seed draws the same pictures. */
const random = (seed: number) => xorshift32(seed * 2654435761);

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

function sceneSvg(photo: DemoPhoto, index: number): string {
  const [w, h] = photo.size;
  const rnd = random(index + 1);
  const r = (min: number, max: number) => min + rnd() * (max - min);
  const parts: string[] = [];
  const defs: string[] = [];
  const sky = (id: string, stops: string[]) =>
    defs.push(
      `<linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${stops
        .map((c, i) => `<stop offset="${i / (stops.length - 1)}" stop-color="${c}"/>`)
        .join('')}</linearGradient>`,
    );
  defs.push(
    '<radialGradient id="glow"><stop offset="0" stop-color="#fff8e0"/><stop offset="0.35" stop-color="#ffd27a" stop-opacity="0.9"/><stop offset="1" stop-color="#ffb347" stop-opacity="0"/></radialGradient>',
  );

  switch (photo.scene) {
    case 'sunset': {
      sky('bg', ['#241046', '#7b2d6b', '#e2506a', '#ffb347']);
      parts.push('<rect width="100%" height="100%" fill="url(#bg)"/>');
      parts.push(`<circle cx="${w * r(0.3, 0.7)}" cy="${h * 0.62}" r="${h * 0.28}" fill="url(#glow)"/>`);
      for (const [depth, colour] of [
        [0.55, '#4a1f4f'],
        [0.68, '#2d1438'],
        [0.8, '#170a22'],
      ] as const) {
        const points = [`0,${h}`, `0,${h * (depth + r(0, 0.1))}`];
        for (let x = 1; x <= 6; x++) points.push(`${(w * x) / 6},${h * (depth + r(-0.12, 0.1))}`);
        points.push(`${w},${h}`);
        parts.push(`<polygon points="${points.join(' ')}" fill="${colour}"/>`);
      }
      break;
    }
    case 'ocean': {
      sky('bg', ['#8ec5fc', '#e0c3fc', '#fbd3c9']);
      sky('sea', ['#1f6f9f', '#0b3d5c', '#06253a']);
      parts.push('<rect width="100%" height="100%" fill="url(#bg)"/>');
      parts.push(
        `<circle cx="${w * r(0.2, 0.8)}" cy="${h * 0.45}" r="${h * 0.18}" fill="url(#glow)" fill-opacity="0.8"/>`,
      );
      parts.push(`<rect y="${h * 0.5}" width="${w}" height="${h * 0.5}" fill="url(#sea)"/>`);
      for (let i = 0; i < 14; i++) {
        const y = h * (0.52 + i * 0.035);
        const amp = h * 0.006 * (1 + i * 0.4);
        let d = `M0 ${y}`;
        for (let x = 0; x <= w; x += w / 12) d += ` Q ${x + w / 24} ${y - amp} ${x + w / 12} ${y}`;
        parts.push(
          `<path d="${d}" stroke="#ffffff" stroke-opacity="${0.08 + i * 0.015}" stroke-width="${1 + i * 0.4}" fill="none"/>`,
        );
      }
      break;
    }
    case 'city': {
      sky('bg', ['#0b1026', '#1c2a5a', '#3b3f8f']);
      parts.push('<rect width="100%" height="100%" fill="url(#bg)"/>');
      for (let i = 0; i < 40; i++) {
        parts.push(
          `<circle cx="${r(0, w)}" cy="${r(0, h * 0.4)}" r="${r(0.6, 2)}" fill="#ffffff" fill-opacity="${r(0.3, 0.9)}"/>`,
        );
      }
      let x = 0;
      while (x < w) {
        const bw = w * r(0.05, 0.12);
        const bh = h * r(0.25, 0.7);
        const shade = Math.round(r(18, 40));
        parts.push(
          `<rect x="${x}" y="${h - bh}" width="${bw}" height="${bh}" fill="rgb(${shade},${shade},${shade + 20})"/>`,
        );
        // Window grid scaled to the picture, so a big picture has bigger windows, not more of them.
        const ww = Math.max(5, w / 200);
        const wh = ww * 1.5;
        for (let wy = h - bh + wh; wy < h - wh; wy += wh * 2) {
          for (let wx = x + ww; wx < x + bw - ww * 1.5; wx += ww * 2.2) {
            if (rnd() < 0.45) {
              parts.push(
                `<rect x="${wx.toFixed(1)}" y="${wy.toFixed(1)}" width="${ww.toFixed(1)}" height="${wh.toFixed(1)}" fill="#ffd98a" fill-opacity="${r(0.5, 1).toFixed(2)}"/>`,
              );
            }
          }
        }
        x += bw + w * r(0, 0.01);
      }
      break;
    }
    case 'forest': {
      sky('bg', ['#dfe9e3', '#9fc5a8', '#4f7d5c']);
      parts.push('<rect width="100%" height="100%" fill="url(#bg)"/>');
      for (let layer = 0; layer < 3; layer++) {
        const colour = ['#6f9a7b', '#3f6b4f', '#1d3b2a'][layer]!;
        for (let i = 0; i < 14 + layer * 6; i++) {
          const cx = r(-0.05, 1.05) * w;
          const base = h * (0.65 + layer * 0.12 + r(0, 0.08));
          const th = h * r(0.25, 0.45) * (1 + layer * 0.3);
          const tw = th * 0.35;
          parts.push(
            `<polygon points="${cx},${base - th} ${cx - tw / 2},${base} ${cx + tw / 2},${base}" fill="${colour}"/>`,
          );
        }
      }
      parts.push(`<rect width="100%" height="100%" fill="#ffffff" fill-opacity="0.12"/>`);
      break;
    }
    case 'bokeh': {
      sky('bg', ['#120c1f', '#2a1240', '#120c1f']);
      parts.push('<rect width="100%" height="100%" fill="url(#bg)"/>');
      const palette = ['#ff6b6b', '#ffd93d', '#6bcBef', '#c77dff', '#ff9f43', '#48dbfb'];
      for (let i = 0; i < 60; i++) {
        const colour = palette[i % palette.length]!;
        parts.push(
          `<circle cx="${r(0, w)}" cy="${r(0, h)}" r="${Math.min(w, h) * r(0.02, 0.09)}" fill="${colour}" fill-opacity="${r(0.12, 0.45)}"/>`,
        );
      }
      break;
    }
    case 'dunes': {
      sky('bg', ['#87b6e8', '#f3d9b1']);
      parts.push('<rect width="100%" height="100%" fill="url(#bg)"/>');
      parts.push(`<circle cx="${w * r(0.6, 0.9)}" cy="${h * 0.2}" r="${h * 0.12}" fill="url(#glow)"/>`);
      const sands = ['#e9b872', '#d99a52', '#c47f3b', '#a8652a'];
      sands.forEach((colour, i) => {
        const y = h * (0.5 + i * 0.12);
        const d = `M0 ${y} C ${w * r(0.1, 0.3)} ${y - h * r(0.05, 0.15)}, ${w * r(0.5, 0.7)} ${y + h * r(0.02, 0.12)}, ${w} ${y - h * r(0, 0.08)} L ${w} ${h} L 0 ${h} Z`;
        parts.push(`<path d="${d}" fill="${colour}"/>`);
      });
      break;
    }
  }

  const font = Math.round(Math.min(w, h) * 0.045);
  parts.push(
    `<text x="${w * 0.04}" y="${h - font * 1.2}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#ffffff" fill-opacity="0.88">${escapeXml(photo.title)}</text>`,
    `<text x="${w * 0.04}" y="${h - font * 0.4}" font-family="DejaVu Sans, sans-serif" font-size="${Math.round(font * 0.45)}" fill="#ffffff" fill-opacity="0.6">Lumina demo · @${photo.owner}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs>${defs.join('')}</defs>${parts.join('')}</svg>`;
}

/** A small tile of film grain (mid-grey plus noise), repeated over each picture. */
const GRAIN_TILE = 256;
const grainTile = (() => {
  const rnd = random(4242);
  const tile = Buffer.alloc(GRAIN_TILE * GRAIN_TILE * 3);
  for (let i = 0; i < tile.length; i++) {
    const noise = (rnd() + rnd() + rnd() - 1.5) * 36;
    tile[i] = Math.max(0, Math.min(255, Math.round(128 + noise)));
  }
  return tile;
})();

async function drawPhoto(photo: DemoPhoto, index: number): Promise<Buffer> {
  const image = sharp(Buffer.from(sceneSvg(photo, index))).composite([
    {
      input: grainTile,
      raw: { width: GRAIN_TILE, height: GRAIN_TILE, channels: 3 },
      tile: true,
      blend: 'soft-light',
    },
  ]);
  return photo.png ? image.png().toBuffer() : image.jpeg({ quality: 88 }).toBuffer();
}

// ---------------------------------------------------------------------------------------------

function describeStore(config: Config): string {
  if (config.storage.backend === 'embedded') return `the embedded store in ${config.dataDir}`;
  const { mysql, dynamodb, s3 } = config.storage.aws;
  return (
    `AWS: MySQL ${mysql.host}:${mysql.port}/${mysql.database}, ` +
    `DynamoDB ${dynamodb.endpoint ?? 'AWS'}, S3 bucket ${s3.bucket}${s3.endpoint ? ` at ${s3.endpoint}` : ''}`
  );
}

async function seed(c: Container, config: Config): Promise<void> {
  const { services } = c;
  let phase = Date.now();
  const took = () => {
    const seconds = (Date.now() - phase) / 1000;
    phase = Date.now();
    return `(${seconds.toFixed(1)} s)`;
  };
  const users = new Map<Name, User>();
  for (const name of USERNAMES)
    users.set(name, await services.auth.signup({ username: name, password: PASSWORD }));
  const user = (name: Name): User => users.get(name)!;
  const as = (name: Name): Viewer => ({ id: user(name).id, username: name });
  console.log(`  users: ${USERNAMES.join(', ')} ${took()}`);

  for (const [a, b] of FRIENDS) {
    const request = await services.friends.request(as(a), { userId: user(b).id });
    await services.friends.respond(as(b), request.id, 'accept');
  }
  await services.friends.request(as(PENDING[0]), { userId: user(PENDING[1]).id });
  console.log(
    `  friendships: ${FRIENDS.length} accepted, 1 pending (${PENDING[0]} → ${PENDING[1]}) ${took()}`,
  );

  // Drawing the next picture overlaps the upload of the current one; uploads stay in order.
  const draw = (index: number) => {
    const drawing = drawPhoto(PHOTOS[index]!, index);
    drawing.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    return drawing;
  };
  const ids: string[] = [];
  let next = draw(0);
  for (const [index, photo] of PHOTOS.entries()) {
    const bytes = await next;
    if (index + 1 < PHOTOS.length) next = draw(index + 1);
    const uploaded = await services.photos.upload(as(photo.owner), {
      bytes,
      caption: photo.caption,
      topic: photo.topic,
      format: config.images.format,
    });
    ids.push(uploaded.id);
    if (process.stdout.isTTY) process.stdout.write(`\r  photos: ${index + 1}/${PHOTOS.length}`);
  }
  if (process.stdout.isTTY) process.stdout.write('\r');
  console.log(`  photos: ${ids.length}, drawn here and uploaded through the image pipeline ${took()}`);

  let likes = 0;
  for (const [index, id] of ids.entries()) {
    // A varied but repeatable handful of likes per photo, never the owner's own.
    const owner = PHOTOS[index]!.owner;
    const rnd = random(1000 + index);
    for (const name of USERNAMES) {
      if (name !== owner && rnd() < 0.45) {
        await services.photos.like(as(name), id);
        likes++;
      }
    }
  }
  for (const comment of COMMENTS)
    await services.comments.add(as(comment.author), ids[comment.photo]!, comment.text);
  console.log(`  likes: ${likes}, comments: ${COMMENTS.length} ${took()}`);

  for (const message of MESSAGES)
    await services.messages.send(as(message.from), user(message.to).id, message.text);
  console.log(
    `  messages: ${MESSAGES.length} in ${new Set(MESSAGES.map((m) => [m.from, m.to].sort().join())).size} conversations ${took()}`,
  );
}

async function main(): Promise<number> {
  try {
    process.loadEnvFile();
  } catch {
    // No .env file: the environment alone configures the store, as for the server.
  }
  const env = loadConfig();
  // The same secret the server would settle on (seeding makes no sessions, but the config needs one).
  const config = withSessionSecret(env, () => readOrCreateSecret(join(env.dataDir, SESSION_SECRET_FILE)));
  const container = await createContainer(config, createLogger('warn'));
  try {
    const where = describeStore(config);
    for (const name of USERNAMES) {
      if (await container.storage.users.findByUsername(name)) {
        console.log(`Demo data is already there: user "${name}" exists in ${where}. Nothing to do.`);
        console.log(`Sign in as any of ${USERNAMES.join(', ')} with the password "${PASSWORD}".`);
        return 0;
      }
    }
    console.log(`Seeding demo data into ${where}`);
    const started = Date.now();
    await seed(container, config);
    console.log(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    console.log(`Sign in as any of ${USERNAMES.join(', ')} with the password "${PASSWORD}".`);
    console.log(`  ada has friends, photos, chats and a pending request from hedy.`);
    return 0;
  } finally {
    await container.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`seed-demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
