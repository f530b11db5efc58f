// Files that read, with a document or object that is bad (an alias bomb, a syntax error, an object
// too large or cyclic) or looks meant for us but is not (a misspelt or missing kind): each is one
// problem naming the file, once per change; the other files' objects are untouched (bad-cases.ts).
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DOCUMENT_CASES, caseTitle, checkAllAtStartUp, checkCase } from './bad-cases.ts';
import { tempDir } from './manifest-dir.ts';

let t: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => { t = await tempDir(); });
afterEach(async () => { await t.remove(); });

describe('bad documents in a manifests directory', { timeout: 20_000 }, () => {
  it('at start-up: every bad document at once is one problem each; the good file loads', () => checkAllAtStartUp(t.dir, DOCUMENT_CASES));

  for (const c of DOCUMENT_CASES) it(caseTitle(c), () => checkCase(t.dir, c));
});
