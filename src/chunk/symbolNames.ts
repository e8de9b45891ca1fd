/**
 * A chunk's symbol can name several definitions: the chunker lists merged scraps as "a, b", and search joins
 * neighbouring chunks the same way. Everything that reads a symbol as names reads it here.
 */
export const NAME_SEPARATOR = ', ';

/** The definitions a symbol names, in its order. */
export function symbolNames(symbol: string): string[] {
  return symbol.split(NAME_SEPARATOR).filter((name) => name !== '');
}

/** A qualified name's own part: res.cookie → cookie, Sinatra::Runner → Runner, Builder#addType → addType. */
export function memberName(name: string): string {
  return name.split(/[.#:]/).pop() ?? name;
}
