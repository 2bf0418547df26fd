// QR codes drawn in the browser, for the EPC payment code of the portal's pages.
//
// ISO/IEC 18004: byte mode (the payload's UTF-8 bytes, as EPC069-12 asks), error correction
// level M (EPC069-12), the smallest version that holds the payload, and the data mask of
// lowest penalty (7.8.3), scored as segno scores it, so that the symbol is the one the
// server's documents carry for the same payload (tests/unit/test_portal_qr.py compares them).
// The server sends the payload, not a drawing: the page's request costs no drawing.
"use strict";

(function (root) {
  // Error correction level M, versions 1 to 40 (ISO/IEC 18004, table 9): EC codewords per
  // block, then (blocks, data codewords per block) for each of the one or two groups.
  const BLOCKS_M = [
    [10, 1, 16], [16, 1, 28], [26, 1, 44], [18, 2, 32], [24, 2, 43], [16, 4, 27], [18, 4, 31],
    [22, 2, 38, 2, 39], [22, 3, 36, 2, 37], [26, 4, 43, 1, 44], [30, 1, 50, 4, 51],
    [22, 6, 36, 2, 37], [22, 8, 37, 1, 38], [24, 4, 40, 5, 41], [24, 5, 41, 5, 42],
    [28, 7, 45, 3, 46], [28, 10, 46, 1, 47], [26, 9, 43, 4, 44], [26, 3, 44, 11, 45],
    [26, 3, 41, 13, 42], [26, 17, 42], [28, 17, 46], [28, 4, 47, 14, 48], [28, 6, 45, 14, 46],
    [28, 8, 47, 13, 48], [28, 19, 46, 4, 47], [28, 22, 45, 3, 46], [28, 3, 45, 23, 46],
    [28, 21, 45, 7, 46], [28, 19, 47, 10, 48], [28, 2, 46, 29, 47], [28, 10, 46, 23, 47],
    [28, 14, 46, 21, 47], [28, 14, 46, 23, 47], [28, 12, 47, 26, 48], [28, 6, 47, 34, 48],
    [28, 29, 46, 14, 47], [28, 13, 46, 32, 47], [28, 40, 47, 7, 48], [28, 18, 47, 31, 48],
  ];
  const QUIET_ZONE = 4; // modules of light margin all around (ISO/IEC 18004, 6.3.8)

  // GF(256) with the polynomial x^8 + x^4 + x^3 + x^2 + 1.
  const EXP = new Uint8Array(512);
  const LOG = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x = x & 0x80 ? ((x << 1) ^ 0x11d) & 0xff : x << 1;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
  const mul = (a, b) => (a && b ? EXP[LOG[a] + LOG[b]] : 0);

  function generator(degree) {
    // (x - a^0)(x - a^1)...(x - a^(degree-1)), highest coefficient first
    let poly = [1];
    for (let i = 0; i < degree; i++) {
      const next = new Array(poly.length + 1).fill(0);
      poly.forEach((c, j) => {
        next[j] ^= c;
        next[j + 1] ^= mul(c, EXP[i]);
      });
      poly = next;
    }
    return poly;
  }

  function errorCodewords(data, degree) {
    const gen = generator(degree);
    const rest = new Array(degree).fill(0);
    for (const byte of data) {
      const factor = byte ^ rest.shift();
      rest.push(0);
      for (let j = 0; j < degree; j++) rest[j] ^= mul(gen[j + 1], factor);
    }
    return rest;
  }

  function blocksOf(version) {
    const [ec, ...groups] = BLOCKS_M[version - 1];
    const sizes = [];
    for (let g = 0; g < groups.length; g += 2) {
      for (let b = 0; b < groups[g]; b++) sizes.push(groups[g + 1]);
    }
    return { ec, sizes, data: sizes.reduce((a, b) => a + b, 0) };
  }

  const countBits = (version) => (version < 10 ? 8 : 16);

  function chooseVersion(length) {
    for (let v = 1; v <= 40; v++) {
      if (4 + countBits(v) + 8 * length <= 8 * blocksOf(v).data) return v;
    }
    throw new RangeError("too much data for a QR code: " + length + " bytes");
  }

  function codewords(bytes, version) {
    const { ec, sizes, data } = blocksOf(version);
    const bits = [];
    const put = (value, n) => {
      for (let i = n - 1; i >= 0; i--) bits.push((value >>> i) & 1);
    };
    put(0b0100, 4); // byte mode
    put(bytes.length, countBits(version));
    for (const b of bytes) put(b, 8);
    put(0, Math.min(4, 8 * data - bits.length)); // terminator
    // To the next codeword boundary; on one already, a zero codeword, as segno writes it
    // (the symbols are then the server's; a reader stops at the terminator).
    if (bits.length < 8 * data) put(0, 8 - (bits.length % 8));
    const message = [];
    for (let i = 0; i < bits.length; i += 8) {
      message.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0));
    }
    for (let pad = 0; message.length < data; pad ^= 1) message.push(pad ? 0x11 : 0xec);
    const blocks = [];
    let at = 0;
    for (const size of sizes) {
      const block = message.slice(at, at + size);
      blocks.push({ data: block, ec: errorCodewords(block, ec) });
      at += size;
    }
    const out = [];
    for (let i = 0; i < Math.max(...sizes); i++) {
      for (const b of blocks) if (i < b.data.length) out.push(b.data[i]);
    }
    for (let i = 0; i < ec; i++) for (const b of blocks) out.push(b.ec[i]);
    return out;
  }

  function alignmentPositions(version, size) {
    if (version === 1) return [];
    const count = Math.floor(version / 7) + 2;
    const step = version === 32 ? 26 : Math.ceil((version * 4 + 4) / (count * 2 - 2)) * 2;
    const positions = [6];
    for (let pos = size - 7; positions.length < count; pos -= step) positions.splice(1, 0, pos);
    return positions;
  }

  // The symbol without its data: function patterns drawn, format and version areas light.
  function frame(version) {
    const size = 17 + 4 * version;
    const dark = Array.from({ length: size }, () => new Uint8Array(size));
    const fixed = Array.from({ length: size }, () => new Uint8Array(size));
    const set = (r, c, value) => {
      dark[r][c] = value ? 1 : 0;
      fixed[r][c] = 1;
    };
    // The format and version areas first: light while the masks are scored (the timing
    // patterns cross the format areas at (6, 8) and (8, 6) and keep their modules).
    for (let i = 0; i < 9; i++) {
      set(8, i, 0);
      set(i, 8, 0);
    }
    for (let i = 1; i <= 8; i++) {
      set(8, size - i, 0);
      set(size - i, 8, 0); // the dark module (size - 8, 8) too, drawn after the mask's choice
    }
    if (version >= 7) {
      for (let i = 0; i < 18; i++) {
        set(Math.floor(i / 3), size - 11 + (i % 3), 0);
        set(size - 11 + (i % 3), Math.floor(i / 3), 0);
      }
    }
    for (const [top, left] of [[0, 0], [0, size - 7], [size - 7, 0]]) {
      for (let r = -1; r <= 7; r++) {
        for (let c = -1; c <= 7; c++) {
          const y = top + r;
          const x = left + c;
          if (y < 0 || y >= size || x < 0 || x >= size) continue;
          const ring = Math.max(Math.abs(r - 3), Math.abs(c - 3));
          set(y, x, ring !== 2 && ring !== 4);
        }
      }
    }
    for (let i = 8; i < size - 8; i++) {
      set(6, i, i % 2 === 0);
      set(i, 6, i % 2 === 0);
    }
    const positions = alignmentPositions(version, size);
    const last = positions.length - 1;
    positions.forEach((r, a) => {
      positions.forEach((c, b) => {
        if ((a === 0 && b === 0) || (a === 0 && b === last) || (a === last && b === 0)) return;
        for (let dr = -2; dr <= 2; dr++) {
          for (let dc = -2; dc <= 2; dc++) set(r + dr, c + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1);
        }
      });
    });
    return { size, dark, fixed };
  }

  function place(symbol, data) {
    const { size, dark, fixed } = symbol;
    let bit = 0;
    for (let right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      const upward = ((right + 1) & 2) === 0;
      for (let step = 0; step < size; step++) {
        const r = upward ? size - 1 - step : step;
        for (let c = right; c > right - 2; c--) {
          if (fixed[r][c]) continue;
          if (bit < data.length * 8) dark[r][c] = (data[bit >>> 3] >>> (7 - (bit & 7))) & 1;
          bit++;
        }
      }
    }
  }

  const MASKS = [
    (r, c) => (r + c) % 2 === 0,
    (r) => r % 2 === 0,
    (r, c) => c % 3 === 0,
    (r, c) => (r + c) % 3 === 0,
    (r, c) => (Math.floor(r / 2) + Math.floor(c / 3)) % 2 === 0,
    (r, c) => ((r * c) % 2) + ((r * c) % 3) === 0,
    (r, c) => (((r * c) % 2) + ((r * c) % 3)) % 2 === 0,
    (r, c) => (((r + c) % 2) + ((r * c) % 3)) % 2 === 0,
  ];

  function masked(symbol, mask) {
    const { size, dark, fixed } = symbol;
    const pattern = MASKS[mask];
    return dark.map((row, r) => row.map((v, c) => (!fixed[r][c] && pattern(r, c) ? v ^ 1 : v)));
  }

  // 1:1:3:1:1 patterns with 4 light modules on one side (or at an edge of the line), 40
  // each, searched left to right: past a counted one from its end, past another from its
  // fifth module.
  function finderLike(line) {
    const size = line.length;
    const at = (from) => {
      for (let i = from; i + 7 <= size; i++) {
        if (line[i] && !line[i + 1] && line[i + 2] && line[i + 3] && line[i + 4] && !line[i + 5] && line[i + 6]) return i;
      }
      return -1;
    };
    const light = (from, to) => {
      for (let i = Math.max(from, 0); i < Math.min(to, size); i++) if (line[i]) return false;
      return true;
    };
    let score = 0;
    for (let i = at(0); i !== -1; ) {
      if (i === 0 || i === size - 7 || light(i - 4, i) || light(i + 7, i + 11)) {
        score += 40;
        i = at(i + 7);
      } else {
        i = at(i + 4);
      }
    }
    return score;
  }

  function penalty(m) {
    const size = m.length;
    let score = 0;
    let darkCount = 0;
    const runs = (line) => {
      let total = 0;
      let run = 1;
      for (let i = 1; i <= size; i++) {
        if (i < size && line[i] === line[i - 1]) {
          run++;
        } else {
          if (run >= 5) total += run - 2;
          run = 1;
        }
      }
      return total;
    };
    for (let i = 0; i < size; i++) {
      const row = m[i];
      const column = m.map((r) => r[i]);
      score += runs(row) + runs(column) + finderLike(row) + finderLike(column);
      for (let j = 0; j < size; j++) {
        darkCount += row[j];
        if (i && j && row[j] === row[j - 1] && row[j] === m[i - 1][j] && row[j] === m[i - 1][j - 1]) score += 3;
      }
    }
    const percent = darkCount / (size * size);
    return score + 10 * Math.floor(Math.abs(percent * 100 - 50) / 5);
  }

  function drawFormat(m, mask) {
    const size = m.length;
    let rest = mask; // level M's bits are 00
    for (let i = 0; i < 10; i++) rest = (rest << 1) ^ ((rest >>> 9) * 0x537);
    const bits = ((mask << 10) | rest) ^ 0x5412;
    const bit = (i) => (bits >>> i) & 1;
    for (let i = 0; i <= 5; i++) m[i][8] = bit(i);
    m[7][8] = bit(6);
    m[8][8] = bit(7);
    m[8][7] = bit(8);
    for (let i = 9; i < 15; i++) m[8][14 - i] = bit(i);
    for (let i = 0; i < 8; i++) m[8][size - 1 - i] = bit(i);
    for (let i = 8; i < 15; i++) m[size - 15 + i][8] = bit(i);
    m[size - 8][8] = 1;
  }

  function drawVersion(m, version) {
    if (version < 7) return;
    const size = m.length;
    let rest = version;
    for (let i = 0; i < 12; i++) rest = (rest << 1) ^ ((rest >>> 11) * 0x1f25);
    const bits = (version << 12) | rest;
    for (let i = 0; i < 18; i++) {
      const value = (bits >>> i) & 1;
      m[Math.floor(i / 3)][size - 11 + (i % 3)] = value;
      m[size - 11 + (i % 3)][Math.floor(i / 3)] = value;
    }
  }

  // The symbol of ``text`` (its UTF-8 bytes): rows of 0 (light) and 1 (dark) modules,
  // without the quiet zone, and the version and mask chosen.
  function encode(text) {
    const bytes = new TextEncoder().encode(text);
    const version = chooseVersion(bytes.length);
    const symbol = frame(version);
    place(symbol, codewords(bytes, version));
    let best = null;
    for (let mask = 0; mask < 8; mask++) {
      const m = masked(symbol, mask);
      const score = penalty(m);
      if (best === null || score < best.score) best = { mask, score, m };
    }
    const modules = best.m.map((row) => Array.from(row));
    drawFormat(modules, best.mask);
    drawVersion(modules, version);
    return { version, mask: best.mask, modules };
  }

  // An SVG image of ``text``'s QR code (with its quiet zone), one path of dark runs.
  function svg(text) {
    const { modules } = encode(text);
    const width = modules.length + 2 * QUIET_ZONE;
    let path = "";
    modules.forEach((row, r) => {
      for (let c = 0; c < row.length; ) {
        if (!row[c]) {
          c++;
          continue;
        }
        let end = c;
        while (end < row.length && row[end]) end++;
        path += "M" + (c + QUIET_ZONE) + " " + (r + QUIET_ZONE) + "h" + (end - c) + "v1h-" + (end - c) + "z";
        c = end;
      }
    });
    return (
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + width + " " + width +
      '" shape-rendering="crispEdges"><rect width="' + width + '" height="' + width +
      '" fill="#fff"/><path fill="#000" d="' + path + '"/></svg>'
    );
  }

  const api = { encode, svg, dataUri: (text) => "data:image/svg+xml," + encodeURIComponent(svg(text)) };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.EncaisseQr = api;
})(typeof window === "undefined" ? globalThis : window);
