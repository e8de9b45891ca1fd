/** The part of picomatch (4.x, no bundled types) that search/filters.ts uses. */
declare module 'picomatch' {
  interface PicomatchOptions {
    windows?: boolean;
    dot?: boolean;
    posix?: boolean;
    noextglob?: boolean;
    nonegate?: boolean;
    literalBrackets?: boolean;
    strictBrackets?: boolean;
  }
  function picomatch(glob: string, options?: PicomatchOptions): (path: string) => boolean;
  export default picomatch;
}
