// Removes the previous build from dist/ but keeps dist/.gitignore, which is
// committed so that web/embed.go's `//go:embed all:dist` always has a file.
import { readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
mkdirSync(dist, { recursive: true });
for (const entry of readdirSync(dist)) {
  if (entry !== '.gitignore') rmSync(join(dist, entry), { recursive: true, force: true });
}
writeFileSync(join(dist, '.gitignore'), '*\n!.gitignore\n');
