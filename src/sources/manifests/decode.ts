/**
 * Manifest bytes → text. Kubernetes manifests are UTF-8; anything else is refused with a reason an
 * operator can act on (which encoding it looks like, and where), never decoded into garbage that
 * then parses as some other document, or as none.
 */
import { FileFailureError } from './manifest-error.ts';

// fatal: an invalid sequence throws instead of becoming U+FFFD. A UTF-8 byte-order mark is dropped.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeManifest(bytes: Uint8Array): string {
  const bom = utf16Bom(bytes);
  if (bom !== undefined) {
    throw new FileFailureError('ERR_MANIFEST_ENCODING', 'encoding', `UTF-16 text (byte-order mark ${bom}); manifests must be UTF-8`);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new FileFailureError('ERR_MANIFEST_ENCODING', 'encoding', `not UTF-8: ${describeInvalidByte(bytes)}`);
  }
  const nul = text.indexOf('\0');
  // Valid UTF-8, but YAML allows no NUL: this is UTF-16 without a byte-order mark, or binary.
  if (nul >= 0) throw new FileFailureError('ERR_MANIFEST_ENCODING', 'encoding', `a NUL character on line ${lineOf(text, nul)} (UTF-16 without a byte-order mark, or not text)`);
  return text;
}

function utf16Bom(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'FF FE';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'FE FF';
  return undefined;
}

function describeInvalidByte(bytes: Uint8Array): string {
  const at = firstInvalidUtf8(bytes);
  if (at < 0) return 'an invalid byte sequence';
  let line = 1;
  for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
  return `byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')} on line ${line} (offset ${at}); Latin-1 or another 8-bit encoding?`;
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode table 3-7), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return -1;
}

function sequenceLength(b: Uint8Array, i: number): number {
  const lead = b[i] ?? 0;
  if (lead < 0x80) return 1;
  const [length, low, high] = leadByte(lead);
  if (length === 0) return 0;
  // The second byte's range excludes overlong forms and surrogates; the rest are plain continuations.
  const second = b[i + 1] ?? 0;
  if (second < low || second > high) return 0;
  for (let k = 2; k < length; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return 0;
  return length;
}

/** [sequence length, lowest and highest second byte] for a lead byte; length 0: not a lead byte. */
function leadByte(lead: number): [number, number, number] {
  if (lead >= 0xc2 && lead <= 0xdf) return [2, 0x80, 0xbf];
  if (lead === 0xe0) return [3, 0xa0, 0xbf];
  if (lead === 0xed) return [3, 0x80, 0x9f];
  if (lead >= 0xe1 && lead <= 0xef) return [3, 0x80, 0xbf];
  if (lead === 0xf0) return [4, 0x90, 0xbf];
  if (lead >= 0xf1 && lead <= 0xf3) return [4, 0x80, 0xbf];
  if (lead === 0xf4) return [4, 0x80, 0x8f];
  return [0, 0, 0];
}

export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
