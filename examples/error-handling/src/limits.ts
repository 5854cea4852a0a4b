// How much one request may send and one response may hold. Kept out of src/index.ts, whose
// exports are what the runtime loads.

/** The most todos one response holds, whatever ?limit= asks. */
export const MAX_PAGE_SIZE = 100;
/** The longest request body read, in characters: every document stays small, so every page does. */
export const MAX_BODY_LENGTH = 16 * 1024;
/** The longest title accepted, in characters. */
export const MAX_TITLE_LENGTH = 200;
