// Every relative link in README.md and docs/*.md points to a file that exists
// and, with a #fragment into a Markdown file, to a heading that exists there
// (GitHub's anchor rules). The documents are the users' map of the project.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../support/cli.js";

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, … */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCode(markdown).split("\n")) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The text with fenced code blocks blanked (links and headings there are code). */
function withoutCode(markdown: string): string {
  let fenced = false;
  return markdown
    .split("\n")
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return "";
      }
      return fenced ? "" : line;
    })
    .join("\n");
}

export interface Link {
  line: number;
  target: string;
}

export function relativeLinks(markdown: string): Link[] {
  const links: Link[] = [];
  withoutCode(markdown).split("\n").forEach((text, i) => {
    for (const match of text.replace(/`[^`]*`/g, (code) => " ".repeat(code.length)).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(match[1])) links.push({ line: i + 1, target: match[1] });
    }
  });
  return links;
}

/** What is wrong with each link of `file` (repository-relative), as "file:line: target: reason". */
export function brokenLinks(file: string): string[] {
  const problems: string[] = [];
  const text = readFileSync(join(repoRoot, file), "utf8");
  for (const { line, target } of relativeLinks(text)) {
    const [path, fragment] = target.split("#", 2);
    const resolved = path === "" ? join(repoRoot, file) : join(repoRoot, dirname(file), decodeURI(path));
    const where = `${file}:${line}: ${target}`;
    if (relative(repoRoot, resolved).startsWith("..")) {
      problems.push(`${where}: outside the repository (a clone does not have it)`);
      continue;
    }
    if (!existsSync(resolved)) {
      problems.push(`${where}: no file ${relative(repoRoot, resolved)}`);
      continue;
    }
    if (fragment === undefined || !resolved.endsWith(".md")) continue;
    if (!headingAnchors(readFileSync(resolved, "utf8")).has(fragment)) problems.push(`${where}: no heading #${fragment} in ${relative(repoRoot, resolved)}`);
  }
  return problems;
}

function documents(): string[] {
  const docs = readdirSync(join(repoRoot, "docs")).filter((name) => name.endsWith(".md") && statSync(join(repoRoot, "docs", name)).isFile());
  return ["README.md", ...docs.map((name) => `docs/${name}`)];
}

test("every relative link in README.md and docs/ reaches an existing file and heading", () => {
  const files = documents();
  assert.ok(files.includes("docs/LANGUAGE.md") && files.includes("docs/SEMANTICS.md") && files.includes("docs/STYLE.md"));
  const linked = files.reduce((sum, file) => sum + relativeLinks(readFileSync(join(repoRoot, file), "utf8")).length, 0);
  assert.ok(linked >= 10, `only ${linked} relative links found: the link reader is broken`);
  assert.deepEqual(files.flatMap(brokenLinks), []);
});

test("the link check finds a missing file, a missing heading, and GitHub's anchors", () => {
  assert.deepEqual(
    [...headingAnchors("# A `b` c\n## Private decoding: `temp = anneal(...)` and `--no-mix`\n## A `b` c\n```\n# not a heading\n```\n")],
    ["a-b-c", "private-decoding-temp--anneal-and---no-mix", "a-b-c-1"],
  );
  assert.deepEqual(relativeLinks("[x](a.md#b) `[y](code.md)` [z](https://example.com)\n```\n[w](fenced.md)\n```\n[v](#here)"), [
    { line: 1, target: "a.md#b" },
    { line: 5, target: "#here" },
  ]);
});
