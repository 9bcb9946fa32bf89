/** Types for scripts/elf.mjs (plain JavaScript so `npm run package` needs no TypeScript step). */
export interface ElfNeeds {
  /** The PT_INTERP path, e.g. /lib64/ld-linux-x86-64.so.2; null for a shared object. */
  interpreter: string | null;
  /** DT_NEEDED, in link order. */
  libraries: string[];
  /** Per library, the symbol versions needed (GLIBC_2.34, GLIBCXX_3.4.22, ...). */
  versions: Record<string, string[]>;
}
export function readElfNeeds(file: string): ElfNeeds;
export function highestVersion(needs: ElfNeeds[], prefix: string): string | null;
export function compareVersions(a: string, b: string): number;
