import { loadConfig, withSessionSecret } from '../src/config';
import { createStorage } from '../src/storage';
import { randomSecret } from '../src/lib/secret-file';

/**
 * `npm run admin -- grant <username>` / `revoke <username>`: names or un-names a moderator in the
 * configured store (either backend), who then sees /moderation.
 */
async function main(): Promise<number> {
  const [command, name] = process.argv.slice(2);
  if ((command !== 'grant' && command !== 'revoke') || !name) {
    console.error('usage: npm run admin -- grant|revoke <username>');
    return 2;
  }
  const config = withSessionSecret(loadConfig(), randomSecret);
  const storage = await createStorage(config);
  try {
    const user = await storage.users.findByUsername(name);
    if (!user) {
      console.error(`No user named ${name}.`);
      return 1;
    }
    await storage.users.setModerator(user.id, command === 'grant');
    console.log(
      command === 'grant'
        ? `${user.username} is now a moderator.`
        : `${user.username} is no longer a moderator.`,
    );
    return 0;
  } finally {
    await storage.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
