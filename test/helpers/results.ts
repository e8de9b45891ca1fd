/** The definitions a search result names: one joining neighbouring chunks lists each, the best-ranked first. */
export const namesOf = (result: { symbol: string } | undefined): string[] => result?.symbol.split(', ') ?? [];
