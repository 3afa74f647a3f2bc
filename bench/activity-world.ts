import type { Container } from '../src/container';
import type { ImageKeys, User, Viewer } from '../src/domain/types';
import { newId } from '../src/lib/ulid';

/**
 * The Home feed and activity rows of `npm run bench`: a reader who is friends with the 20 seeded
 * users (so Home is 50 posts from 20 friends) and whose own three photos were liked and
 * commented on by all of them (so /activity and the unread count have something to group).
 */
export const READER = 'bench_reader';

const asViewer = (u: User): Viewer => ({ id: u.id, username: u.username });

export async function seedReader(
  c: Container,
  people: User[],
  template: { keys: ImageKeys; width: number; height: number; contentType: string },
  password: string,
): Promise<User> {
  const { services } = c;
  const reader = await services.auth.signup({ username: READER, password });
  for (const person of people) {
    const asked = await services.friends.request(asViewer(reader), { userId: person.id });
    await services.friends.respond(asViewer(person), asked.id, 'accept');
  }
  for (let i = 0; i < 3; i++) {
    const photo = await c.storage.photos.create({
      id: newId(),
      userId: reader.id,
      username: reader.username,
      topic: null,
      caption: `Reader's photo ${i} with @${people[i]?.username ?? READER}`,
      alt: null,
      createdAt: new Date(),
      width: template.width,
      height: template.height,
      keys: template.keys,
      contentType: template.contentType,
    });
    for (const person of people) {
      await services.photos.like(asViewer(person), photo.id);
      if (person.id % 2 === 0) await services.comments.add(asViewer(person), photo.id, `Lovely, @${READER}!`);
    }
  }
  return reader;
}
