// HTTP conditional requests (RFC 9110 §13) on Pocket's revisions. A document's ETag is its
// `_rev`, quoted: `"3"`. It is a strong validator, since every write makes a new revision. A
// write's `If-Match` becomes its `expectedRev`, so a write based on a stale read fails with 412
// instead of silently overwriting the write it did not see.
import { ConflictError } from '@pocket/core';
import { HTTPException } from 'hono/http-exception';

/** The ETag of revision `rev`: the revision, quoted (a strong entity tag). */
export function etag(rev: number): string {
  return `"${rev}"`;
}

/** An entity tag as a client sent it. `W/"…"` is weak; `opaque` is the text between the quotes. */
interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** The value of an If-Match or If-None-Match header: `*` (any current document) or a list of entity tags. */
type TagList = '*' | EntityTag[];

/** The request's preconditions; `undefined` for a header it did not send. */
export interface Preconditions {
  ifMatch: TagList | undefined;
  ifNoneMatch: TagList | undefined;
}

/**
 * Reads If-Match and If-None-Match. Either is `*` or a comma-separated list of quoted entity
 * tags (RFC 9110 §13.1.1). A header that is neither, like an unquoted `If-Match: 3`, is a
 * malformed request: `HTTPException` 400. A well-formed tag that is not one of ours (`"abc"`,
 * `W/"3"`) is no error; it just matches no revision, so an If-Match made only of such tags fails
 * with 412.
 */
export function preconditionsOf(headers: Headers): Preconditions {
  return { ifMatch: tagList(headers, 'If-Match'), ifNoneMatch: tagList(headers, 'If-None-Match') };
}

// One list element: an optional W/, a quoted tag (visible ASCII except `"`, or obs-text), then a
// comma or the end. Elements may be empty (`"1", , "2"`), as in every HTTP list (RFC 9110 §5.6.1).
const ELEMENT = /[ \t]*(?:(W\/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(,|$)/y;

function tagList(headers: Headers, name: 'If-Match' | 'If-None-Match'): TagList | undefined {
  const value = headers.get(name);
  if (value === null) return undefined;
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  const element = new RegExp(ELEMENT); // a copy: a sticky regex keeps its position
  for (;;) {
    const match = element.exec(value);
    if (match === null) {
      throw new HTTPException(400, { message: `${name} must be * or quoted entity tags as ETag gives them, such as ${name}: "3".` });
    }
    if (match[2] !== undefined) tags.push({ weak: match[1] !== undefined, opaque: match[2] });
    if (match[3] === '') return tags; // the end
  }
}

/**
 * Whether `tags` lists the ETag of revision `rev`. If-Match compares strongly, so a weak tag
 * never matches; If-None-Match compares weakly, ignoring `W/` (RFC 9110 §8.8.3.2).
 */
function lists(tags: TagList, rev: number, comparison: 'strong' | 'weak'): boolean {
  return tags === '*' || tags.some((tag) => tag.opaque === String(rev) && (comparison === 'weak' || !tag.weak));
}

/**
 * The header whose condition is false for a document at `rev` (`null`: no document), in the
 * order RFC 9110 §13.2.2 evaluates them; `undefined` when the request may go ahead.
 */
export function failedPrecondition(pre: Preconditions, rev: number | null): 'If-Match' | 'If-None-Match' | undefined {
  if (pre.ifMatch !== undefined && (rev === null || !lists(pre.ifMatch, rev, 'strong'))) return 'If-Match';
  if (pre.ifNoneMatch !== undefined && rev !== null && lists(pre.ifNoneMatch, rev, 'weak')) return 'If-None-Match';
  return undefined;
}

/** A precondition that is false: nothing was written. `app.onError` answers it 412, with the current ETag when there is a document. */
export class PreconditionFailed extends Error {
  override readonly name = 'PreconditionFailed';
  readonly header: 'If-Match' | 'If-None-Match';
  /** The document's revision, `null` when there is none. */
  readonly currentRev: number | null;
  constructor(header: 'If-Match' | 'If-None-Match', currentRev: number | null) {
    super(
      currentRev === null
        ? `${header} does not hold: the document does not exist. Nothing was written.`
        : header === 'If-Match'
          ? `If-Match does not match the document's current ETag, ${etag(currentRev)}: it has changed since you read it. Nothing was written; GET it again and retry with its ETag.`
          : `If-None-Match matches the document's current ETag, ${etag(currentRev)}. Nothing was written.`,
    );
    this.header = header;
    this.currentRev = currentRev;
  }
}

/** How often a write is evaluated again when other writes keep changing its document. */
const MAX_ATTEMPTS = 3;

/**
 * Runs a write under the request's preconditions, atomically.
 *
 * `write` gets the `expectedRev` to write with: `undefined` when the request has no
 * preconditions (the write is unconditional, as without this helper), a revision the
 * preconditions hold for, or `null` when they hold because there is no document, so there is
 * nothing to write. `read` returns the document's current revision (`null`: none).
 *
 * The usual request, `If-Match: "3"`, is written at revision 3 directly, without a read. For
 * the others (`*`, If-None-Match, tags that are no revision) the current revision is read and
 * the preconditions are evaluated against it. Either way the write is conditional on the
 * revision the preconditions held for: a write that lands in between makes it a
 * `ConflictError`, which carries the revision that write left, and the preconditions are
 * evaluated again against that one. False preconditions throw `PreconditionFailed`.
 */
export async function writeIf<R>(
  pre: Preconditions,
  read: () => Promise<number | null>,
  write: (expectedRev: number | null | undefined) => Promise<R>,
): Promise<R> {
  if (pre.ifMatch === undefined && pre.ifNoneMatch === undefined) return write(undefined);
  // `undefined`: not known yet, to read. `null`: no document.
  let rev: number | null | undefined = pre.ifNoneMatch === undefined ? newestRevision(pre.ifMatch) : undefined;
  for (let attempt = 1; ; attempt++) {
    if (rev === undefined) rev = await read();
    const failed = failedPrecondition(pre, rev);
    if (failed !== undefined) throw new PreconditionFailed(failed, rev);
    try {
      return await write(rev);
    } catch (error) {
      // Another write came first. After a few rounds, the 409 of the ConflictError it is.
      if (!(error instanceof ConflictError) || error.currentRev === undefined || attempt === MAX_ATTEMPTS) throw error;
      rev = error.currentRev;
    }
  }
}

/** The newest revision an If-Match names with a strong tag of ours (`"3"`), if it names one. */
function newestRevision(tags: TagList | undefined): number | undefined {
  if (tags === undefined || tags === '*') return undefined;
  const revs = tags.filter((tag) => !tag.weak && /^[1-9][0-9]{0,15}$/.test(tag.opaque)).map((tag) => Number(tag.opaque));
  const ours = revs.filter((rev) => Number.isSafeInteger(rev));
  return ours.length === 0 ? undefined : Math.max(...ours);
}
