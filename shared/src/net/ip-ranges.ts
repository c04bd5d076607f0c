// Classifies an IP address for the outbound rules (PRODUCT.md "Outbound rules"): which addresses a
// provider call may never reach, which only when an allow-list names the base URL, and which are public.
// Parsing is done by hand on bytes so that every IPv6 spelling of an IPv4 address (mapped,
// compatible, NAT64, 6to4) is judged by the IPv4 address it carries. No Node API: the companion's
// outbound guard and the extension's linked-document check (a public link must not redirect into
// the user's own network) judge addresses with the same ranges.

/**
 * - `public`: any call may connect.
 * - `private`: loopback, RFC 1918, CGNAT, unique-local: only when the target base URL is allow-listed.
 * - `forbidden`: link-local and every other cloud metadata address, unspecified, multicast,
 *   reserved, tunnels that hide their IPv4 host: never.
 */
export type AddressClass = 'public' | 'private' | 'forbidden';

/** One decimal part of a dotted quad: 0-255, no leading zero. */
const V4_PART = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;
const V6_WORD = /^[0-9a-f]{1,4}$/i;

interface V4Range {
  readonly base: number;
  readonly bits: number;
  readonly verdict: Exclude<AddressClass, 'public'>;
}

function v4(text: string, bits: number, verdict: V4Range['verdict']): V4Range {
  const parsed = parseIPv4(text);
  if (parsed === null) throw new Error('bad range literal');
  return { base: parsed, bits, verdict };
}

// Why link-local is forbidden even when allow-listed: 169.254.169.254 is the cloud metadata
// service on every major cloud, and no provider or local model server legitimately lives there.
// The same goes for the metadata addresses that sit inside otherwise private ranges (first match
// wins, so they come before those ranges).
const V4_RANGES: readonly V4Range[] = [
  v4('0.0.0.0', 8, 'forbidden'),
  v4('169.254.0.0', 16, 'forbidden'),
  v4('224.0.0.0', 4, 'forbidden'),
  v4('240.0.0.0', 4, 'forbidden'),
  // Alibaba Cloud's metadata service, inside CGNAT space.
  v4('100.100.100.200', 32, 'forbidden'),
  // IETF protocol assignments: NAT64 discovery and cloud metadata aliases (192.0.0.192), no servers.
  v4('192.0.0.0', 24, 'forbidden'),
  v4('10.0.0.0', 8, 'private'),
  v4('172.16.0.0', 12, 'private'),
  v4('192.168.0.0', 16, 'private'),
  v4('127.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'private'),
  v4('198.18.0.0', 15, 'private'),
];

/** Cloud metadata services on IPv6, inside unique-local space: AWS IMDS and Google's metadata server. */
const V6_METADATA: readonly string[] = ['fd00:ec2::254', 'fd20:ce::254'];

/** IPv4 dotted quad -> unsigned 32-bit integer, or null. Only the strict four-part form is accepted. */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => V4_PART.test(part))) return null;
  let value = 0;
  for (const part of parts) value = value * 256 + Number(part);
  return value >>> 0;
}

/** The groups of IPv6 text without its dotted tail are hex words of 1-4 digits, with at most one `::`. */
function isIPv6Shape(head: string, tailWords: number): boolean {
  const halves = head.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string | undefined): string[] => (part === undefined || part === '' ? [] : part.split(':'));
  const words = [...groups(halves[0]), ...groups(halves[1])];
  if (!words.every((word) => V6_WORD.test(word))) return false;
  const count = words.length + tailWords;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** IPv6 text (optionally with a zone id or embedded dotted quad) -> 16 bytes, or null. */
export function parseIPv6(input: string): Uint8Array | null {
  const text = input.split('%')[0] ?? '';
  if (!text.includes(':')) return null;
  let head = text;
  const tailWords: number[] = [];
  // An embedded IPv4 tail ("::ffff:10.0.0.1") becomes the last two 16-bit words.
  const lastColon = head.lastIndexOf(':');
  const maybeV4 = head.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const value = parseIPv4(maybeV4);
    if (value === null) return null;
    tailWords.push(value >>> 16, value & 0xffff);
    head = head.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  if (!isIPv6Shape(head, tailWords.length)) return null;
  const halves = head.split('::');
  const toWords = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((word) => parseInt(word, 16));
  const left = toWords(halves[0]);
  const right = [...toWords(halves[1]), ...tailWords];
  const missing = 8 - left.length - right.length;
  const words = halves.length === 2 ? [...left, ...new Array<number>(missing).fill(0), ...right] : [...left, ...right];
  if (words.length !== 8 || words.some((word) => !Number.isInteger(word) || word < 0 || word > 0xffff)) return null;
  const bytes = new Uint8Array(16);
  words.forEach((word, index) => {
    bytes[index * 2] = word >> 8;
    bytes[index * 2 + 1] = word & 0xff;
  });
  return bytes;
}

function classifyV4(value: number): AddressClass {
  for (const range of V4_RANGES) {
    const mask = range.bits === 0 ? 0 : (0xffffffff << (32 - range.bits)) >>> 0;
    if (((value & mask) >>> 0) === ((range.base & mask) >>> 0)) return range.verdict;
  }
  return 'public';
}

function v4From(bytes: Uint8Array, offset: number): number {
  return (((bytes[offset] ?? 0) << 24) | ((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0)) >>> 0;
}

function allZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let index = from; index < to; index++) if (bytes[index] !== 0) return false;
  return true;
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.every((byte, index) => byte === right[index]);
}

const V6_METADATA_BYTES = V6_METADATA.map((text) => {
  const parsed = parseIPv6(text);
  if (parsed === null) throw new Error('bad address literal');
  return parsed;
});

function classifyV6(bytes: Uint8Array): AddressClass {
  const first = bytes[0] ?? 0;
  const second = bytes[1] ?? 0;
  if (allZero(bytes, 0, 16)) return 'forbidden'; // ::
  if (allZero(bytes, 0, 15) && bytes[15] === 1) return 'private'; // ::1
  if (V6_METADATA_BYTES.some((metadata) => sameBytes(bytes, metadata))) return 'forbidden';
  // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (translated, RFC 2765) and ::a.b.c.d (deprecated
  // compatible) carry an IPv4 address.
  if (allZero(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return classifyV4(v4From(bytes, 12));
  if (allZero(bytes, 0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && allZero(bytes, 10, 12)) return classifyV4(v4From(bytes, 12));
  if (allZero(bytes, 0, 12)) return classifyV4(v4From(bytes, 12));
  // NAT64: the well-known prefix 64:ff9b::/96 translates to the IPv4 tail. The local-use prefix
  // 64:ff9b:1::/48 places the IPv4 address by its own prefix length, which is not known here, and
  // no provider or local model server is reached through it: refused.
  if (first === 0x00 && second === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b) {
    return allZero(bytes, 4, 12) ? classifyV4(v4From(bytes, 12)) : 'forbidden';
  }
  // 6to4 (2002::/16) embeds an IPv4 address in bytes 2..5.
  if (first === 0x20 && second === 0x02) return classifyV4(v4From(bytes, 2));
  // Teredo (2001::/32) tunnels to an IPv4 host behind NAT: no provider lives there.
  if (first === 0x20 && second === 0x01 && bytes[2] === 0 && bytes[3] === 0) return 'forbidden';
  if (first === 0xfe && (second & 0xc0) === 0x80) return 'forbidden'; // fe80::/10 link-local
  if (first === 0xff) return 'forbidden'; // multicast
  if ((first & 0xfe) === 0xfc) return 'private'; // fc00::/7 unique-local
  if (first === 0xfe && (second & 0xc0) === 0xc0) return 'private'; // fec0::/10 deprecated site-local
  return 'public';
}

/** Classifies an IP literal; anything that does not parse as an address is `forbidden`. */
export function classifyAddress(address: string): AddressClass {
  const asV4 = parseIPv4(address);
  if (asV4 !== null) return classifyV4(asV4);
  const asV6 = parseIPv6(address);
  if (asV6 !== null) return classifyV6(asV6);
  return 'forbidden';
}
