import type { ExactNumbers } from '@pocket/core/testing';

/**
 * Where SQLite (D1, SQLite-backed Durable Objects) reads the numbers of stored JSON exactly, as
 * docs/limitations.md states it. Measured in workerd: no misread among ~900,000 random 17-digit
 * doubles and their neighbours from 1e-83 to 1e117; outside, from one double in ten to two in five
 * (depending on the magnitude) is read one step off, rarely two.
 */
export const SQLITE_EXACT_NUMBERS: ExactNumbers = { min: 1e-80, max: 1e115, maxSteps: 2 };
