import { symbolNames } from '../../src/chunk/symbolNames.js';

/** The definitions a search result names: one joining neighbouring chunks lists each, the best-ranked first. */
export const namesOf = (result: { symbol: string } | undefined): string[] => (result ? symbolNames(result.symbol) : []);
