import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { signedInAgent, useTestApp } from '../support/app';
import { heicDeclaring, makeHeic } from '../support/heic';
import { makeJpeg } from '../support/images';

type Agent = Awaited<ReturnType<typeof signedInAgent>>['agent'];

describe('photo sizes, HEIC, alt text and editing', () => {
  const t = useTestApp();
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await makeJpeg(2400, 1600);
  });

  const upload = (agent: Agent, fields: Record<string, string> = {}, file: Buffer = jpeg, name = 'p.jpg') => {
    let req = agent.post('/api/photos');
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    return req.attach('photo', file, name);
  };
  const photoCount = async (agent: Agent) =>
    ((await agent.get('/api/photos?scope=profile&limit=100').expect(200)).body as unknown[]).length;

  it('an upload has a 1080 px medium image next to the 2048 px full one and a 400 px thumbnail', async () => {
    const { agent } = await signedInAgent(t.app);
    const photo = (await upload(agent).expect(201)).body;
    expect(photo.medium).toBe(`/api/photos/${photo.id}/image/medium`);
    const sizeOf = async (url: string) => {
      const meta = await sharp((await agent.get(url).buffer(true).expect(200)).body as Buffer).metadata();
      return [meta.width, meta.height];
    };
    expect(await sizeOf(photo.fullRes)).toEqual([2048, 1365]);
    expect(await sizeOf(photo.medium)).toEqual([1080, 720]);
    expect(await sizeOf(photo.thumbnail)).toEqual([400, 400]);
  });

  it('pages give every photo <img> a srcset, sizes and the stored width and height; a feed card never offers the full image', async () => {
    const { agent } = await signedInAgent(t.app);
    const photo = (await upload(agent, { caption: 'Low tide' }).expect(201)).body;
    const page = (await agent.get(`/photos/${photo.id}`).expect(200)).text;
    const main = /<img id="photo-full"[^>]*>/.exec(page)?.[0] ?? '';
    expect(main).toContain(
      `srcset="/api/photos/${photo.id}/image/medium 1080w, /api/photos/${photo.id}/image/full 2048w"`,
    );
    expect(main).toMatch(/sizes="[^"]+"/);
    expect(main).toContain('width="2048" height="1365"');
    expect(main).not.toContain('loading="lazy"');
    const feed = (await agent.get('/feed?scope=profile').expect(200)).text;
    // Every photo image (avatars are the people's pictures, 64 px for a 28–32 px box).
    for (const img of (feed.match(/<img [^>]*>/g) ?? []).filter((i) => i.includes('/api/photos/'))) {
      expect(img).toMatch(/srcset="[^"]+"/);
      expect(img).toMatch(/sizes="[^"]+"/);
      expect(img).toMatch(/width="\d+" height="\d+"/);
      expect(img).not.toContain('/image/full');
    }
  });

  it('alt text given at upload becomes the img alt; without it the alt is a sentence naming the author and caption', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const described = (await upload(agent, { caption: 'x', alt: '  Three boats on wet sand  ' }).expect(201))
      .body;
    expect(described.alt).toBe('Three boats on wet sand');
    expect((await agent.get(`/photos/${described.id}`)).text).toContain('alt="Three boats on wet sand"');
    const plain = (await upload(agent, { caption: 'Low tide at dawn', topic: 'sea' }).expect(201)).body;
    expect(plain.alt).toBeNull();
    expect((await agent.get(`/photos/${plain.id}`)).text).toContain(
      `alt="Photo by ${user.username}: Low tide at dawn"`,
    );
    const before = await photoCount(agent);
    const res = await upload(agent, { alt: 'a'.repeat(1001) }).expect(400);
    expect(res.body.message).toMatch(/alt text must be at most 1000 characters/);
    expect(await photoCount(agent)).toBe(before);
  });

  it('a real HEIC from a phone is accepted and stored as JPEG; a HEIC declaring 100000×100000 is 413 and a truncated one 400, storing nothing', async () => {
    const { agent } = await signedInAgent(t.app);
    const heic = await makeHeic(800, 600);
    const photo = (await upload(agent, {}, heic, 'IMG_0001.HEIC').expect(201)).body;
    expect([photo.width, photo.height]).toEqual([800, 600]);
    const full = await agent.get(photo.fullRes).buffer(true).expect(200);
    expect(full.headers['content-type']).toBe('image/jpeg');
    expect((await sharp(full.body as Buffer).metadata()).format).toBe('jpeg');
    const before = await photoCount(agent);
    const bomb = await upload(agent, {}, heicDeclaring(heic, 100_000, 100_000), 'bomb.heic').expect(413);
    expect(bomb.body.message).toMatch(/100000×100000/);
    await upload(agent, {}, heic.subarray(0, Math.floor(heic.length / 2)), 'cut.heic').expect(400);
    expect(await photoCount(agent)).toBe(before);
  });

  it('PATCH /api/photos/:id by the owner changes caption, topic and alt, sets edited_at, and search follows at once', async () => {
    const { agent } = await signedInAgent(t.app);
    const photo = (await upload(agent, { caption: 'Lowtidezz at dawn', topic: 'sea' }).expect(201)).body;
    const res = await agent
      .patch(`/api/photos/${photo.id}`)
      .send({ caption: 'Hightidezz at dusk #harbour', topic: null, alt: 'Boats' })
      .expect(200);
    expect(res.body).toMatchObject({
      id: photo.id,
      caption: 'Hightidezz at dusk #harbour',
      topic: null,
      alt: 'Boats',
    });
    expect(new Date(res.body.edited_at).getTime()).toBeGreaterThan(0);
    const ids = async (q: string) =>
      ((await agent.get(`/api/photos?scope=all&${q}`).expect(200)).body as { id: string }[]).map((p) => p.id);
    expect(await ids('q=hightidezz')).toEqual([photo.id]);
    expect(await ids('q=harbour')).toContain(photo.id);
    expect(await ids('q=lowtidezz')).toEqual([]);
    expect(await ids('topic=sea')).not.toContain(photo.id);
    // Only what is sent changes.
    const again = (await agent.patch(`/api/photos/${photo.id}`).send({ alt: null }).expect(200)).body;
    expect(again).toMatchObject({ caption: 'Hightidezz at dusk #harbour', alt: null });
  });

  it('PATCH bad input: not the owner 403, missing photo 404, over-long alt and 200 hashtags 400, empty body 400; nothing changes', async () => {
    const owner = await signedInAgent(t.app);
    const other = await signedInAgent(t.app);
    const photo = (await upload(owner.agent, { caption: 'Original' }).expect(201)).body;
    const forbidden = await other.agent
      .patch(`/api/photos/${photo.id}`)
      .send({ caption: 'Mine now' })
      .expect(403);
    expect(forbidden.body.message).toMatch(/owner/);
    await owner.agent.patch('/api/photos/01ARZ3NDEKTSV4RRFFQ69G5FAV').send({ caption: 'x' }).expect(404);
    await owner.agent
      .patch(`/api/photos/${photo.id}`)
      .send({ alt: 'a'.repeat(1001) })
      .expect(400);
    const tags = Array.from({ length: 200 }, (_, i) => `#tag${i}`).join(' ');
    const spam = await owner.agent.patch(`/api/photos/${photo.id}`).send({ caption: tags }).expect(400);
    expect(spam.body.message).toMatch(/at most 30 hashtags/);
    await owner.agent.patch(`/api/photos/${photo.id}`).send({}).expect(400);
    await owner.agent.patch(`/api/photos/${photo.id}`).send({ caption: 5 }).expect(400);
    const now = (await owner.agent.get(`/api/photos/${photo.id}`).expect(200)).body;
    expect(now).toMatchObject({ caption: 'Original', edited_at: null, alt: null });
  });

  it('the photo page edit form saves without JavaScript and shows "edited"; a bad edit shows the form again with the reason', async () => {
    const { agent } = await signedInAgent(t.app);
    const photo = (await upload(agent, { caption: 'Typo in captoin' }).expect(201)).body;
    const page = (await agent.get(`/photos/${photo.id}`).expect(200)).text;
    expect(page).toContain('id="edit-photo-form"');
    expect(page).not.toContain('id="photo-edited"');
    await agent
      .post(`/photos/${photo.id}/edit`)
      .type('form')
      .send({ caption: 'Typo in caption #fixed', topic: 'notes', alt: '' })
      .expect(303)
      .expect('Location', `/photos/${photo.id}`);
    const after = (await agent.get(`/photos/${photo.id}`).expect(200)).text;
    expect(after).toContain('id="photo-edited"');
    expect(after).toContain('<a class="hashtag" href="/feed?scope=all&amp;q=fixed">#fixed</a>');
    const bad = await agent
      .post(`/photos/${photo.id}/edit`)
      .type('form')
      .send({ caption: 'ok', topic: 'x'.repeat(60), alt: '' })
      .expect(400);
    expect(bad.text).toContain('id="edit-error"');
    expect(bad.text).toMatch(/<details id="edit-photo"[^>]* open/);
    expect((await agent.get(`/api/photos/${photo.id}`)).body.caption).toBe('Typo in caption #fixed');
    const other = await signedInAgent(t.app);
    expect((await other.agent.get(`/photos/${photo.id}`)).text).not.toContain('id="edit-photo-form"');
  });

  it('captions link @mentions of people who exist and leave unknown names as text', async () => {
    const friend = await signedInAgent(t.app);
    const { agent } = await signedInAgent(t.app);
    const photo = (
      await upload(agent, { caption: `With @${friend.user.username} and @nobody_here_zz` }).expect(201)
    ).body;
    const page = (await agent.get(`/photos/${photo.id}`).expect(200)).text;
    expect(page).toContain(
      `<a class="mention" href="/users/${friend.user.username}">@${friend.user.username}</a>`,
    );
    expect(page).not.toContain('href="/users/nobody_here_zz"');
    expect(page).toContain('@nobody_here_zz');
  });

  it('a mention of someone the viewer blocks stays plain text', async () => {
    const blocked = await signedInAgent(t.app);
    const { agent } = await signedInAgent(t.app);
    await agent.post('/api/blocks').send({ user_id: blocked.user.id }).expect(201);
    const photo = (await upload(agent, { caption: `Not you, @${blocked.user.username}` }).expect(201)).body;
    const page = (await agent.get(`/photos/${photo.id}`).expect(200)).text;
    expect(page).toContain(`@${blocked.user.username}`);
    expect(page).not.toContain(`href="/users/${blocked.user.username}"`);
  });
});
