/**
 * What a shipped ELF binary asks of the host it runs on, read from the file itself: its program
 * interpreter (the dynamic loader's path), the shared libraries it links (DT_NEEDED) and the
 * symbol versions it needs from each (the GNU version-needs table, `.gnu.version_r`).
 *
 * `npm run package` uses it to state the oldest glibc a tarball runs on: the highest
 * `GLIBC_x.y` any shipped binary needs. The dynamic loader refuses a binary whose versions the
 * host's libraries lack, so that figure is exact where a guess from the build machine's own
 * glibc is not (a binary built on glibc 2.36 may need only 2.28). Written here rather than
 * parsed from `readelf -V` so the build needs no binutils.
 *
 * Only 64-bit little-endian ELF (x86-64, arm64): the platforms `npm run package` builds for.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const PT_INTERP = 3;
const SHT_DYNAMIC = 6;
const SHT_GNU_VERNEED = 0x6ffffffe;
const DT_NULL = 0;
const DT_NEEDED = 1;

/**
 * @typedef {object} ElfNeeds
 * @property {string | null} interpreter  the PT_INTERP path, e.g. /lib64/ld-linux-x86-64.so.2
 * @property {string[]} libraries  DT_NEEDED, in link order
 * @property {Record<string, string[]>} versions  per library, the symbol versions needed
 */

/**
 * @param {string} file
 * @returns {ElfNeeds}
 */
export function readElfNeeds(file) {
  const fd = openSync(file, 'r');
  try {
    const read = (offset, length) => {
      const buf = Buffer.alloc(length);
      const got = readSync(fd, buf, 0, length, offset);
      if (got !== length) throw new Error(`${file}: truncated ELF (wanted ${length} bytes at ${offset})`);
      return buf;
    };
    const header = read(0, 64);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file}: not an ELF file`);
    if (header[4] !== 2 || header[5] !== 1) throw new Error(`${file}: only 64-bit little-endian ELF is supported`);
    const phoff = Number(header.readBigUInt64LE(0x20));
    const shoff = Number(header.readBigUInt64LE(0x28));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const shentsize = header.readUInt16LE(0x3a);
    const shnum = header.readUInt16LE(0x3c);

    let interpreter = null;
    for (let i = 0; i < phnum; i++) {
      const ph = read(phoff + i * phentsize, phentsize);
      if (ph.readUInt32LE(0) !== PT_INTERP) continue;
      const raw = read(Number(ph.readBigUInt64LE(8)), Number(ph.readBigUInt64LE(32)));
      interpreter = raw.toString('latin1').replace(/\0.*$/s, '');
    }

    const sections = [];
    for (let i = 0; i < shnum; i++) {
      const sh = read(shoff + i * shentsize, shentsize);
      sections.push({
        type: sh.readUInt32LE(4),
        offset: Number(sh.readBigUInt64LE(24)),
        size: Number(sh.readBigUInt64LE(32)),
        link: sh.readUInt32LE(40),
        info: sh.readUInt32LE(44),
      });
    }
    const stringTable = (index) => {
      const section = sections[index];
      if (!section) throw new Error(`${file}: section ${index} (a string table) is missing`);
      const data = read(section.offset, section.size);
      return (offset) => data.toString('latin1', offset, data.indexOf(0, offset));
    };

    const libraries = [];
    const dynamic = sections.find((s) => s.type === SHT_DYNAMIC);
    if (dynamic) {
      const str = stringTable(dynamic.link);
      const data = read(dynamic.offset, dynamic.size);
      for (let at = 0; at + 16 <= data.length; at += 16) {
        const tag = Number(data.readBigInt64LE(at));
        if (tag === DT_NULL) break;
        if (tag === DT_NEEDED) libraries.push(str(Number(data.readBigUInt64LE(at + 8))));
      }
    }

    /** @type {Record<string, string[]>} */
    const versions = {};
    const verneed = sections.find((s) => s.type === SHT_GNU_VERNEED);
    if (verneed) {
      const str = stringTable(verneed.link);
      const data = read(verneed.offset, verneed.size);
      // Elf64_Verneed {vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32},
      // each followed (at vn_aux) by vn_cnt Elf64_Vernaux {hash u32, flags u16, other u16,
      // name u32, next u32}. sh_info holds the number of Verneed entries.
      let at = 0;
      for (let n = 0; n < verneed.info; n++) {
        const library = str(data.readUInt32LE(at + 4));
        const names = (versions[library] ??= []);
        let aux = at + data.readUInt32LE(at + 8);
        for (let k = 0; k < data.readUInt16LE(at + 2); k++) {
          names.push(str(data.readUInt32LE(aux + 8)));
          aux += data.readUInt32LE(aux + 12);
        }
        const next = data.readUInt32LE(at + 12);
        if (next === 0) break;
        at += next;
      }
    }
    return { interpreter, libraries, versions };
  } finally {
    closeSync(fd);
  }
}

/**
 * The highest version with the given prefix among the needs, e.g. `highestVersion(needs,
 * 'GLIBC_')` -> '2.34'. GLIBC_PRIVATE and other non-numeric names are ignored.
 *
 * @param {ElfNeeds[]} needs
 * @param {string} prefix
 * @returns {string | null}
 */
export function highestVersion(needs, prefix) {
  let best = null;
  for (const need of needs) {
    for (const names of Object.values(need.versions)) {
      for (const name of names) {
        if (!name.startsWith(prefix)) continue;
        const version = name.slice(prefix.length);
        if (!/^\d+(\.\d+)*$/.test(version)) continue;
        if (best === null || compareVersions(version, best) > 0) best = version;
      }
    }
  }
  return best;
}

/** Numeric comparison of dotted versions: '2.34' > '2.4', '3.4.22' > '3.4.9'. */
export function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
