// Every range of the outbound rules, in IPv4 and in each IPv6 spelling that carries an IPv4 address.
import { describe, expect, it } from 'vitest';
import { classifyAddress, parseIPv6 } from './ip-ranges';

describe('classifyAddress', () => {
  const cases: Array<[string, 'public' | 'private' | 'forbidden']> = [
    ['169.254.169.254', 'forbidden'],
    ['169.254.0.1', 'forbidden'],
    ['0.0.0.0', 'forbidden'],
    ['0.1.2.3', 'forbidden'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['172.32.0.1', 'public'],
    ['172.15.255.255', 'public'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'private'],
    ['127.255.0.9', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.1', 'public'],
    ['224.0.0.1', 'forbidden'],
    ['255.255.255.255', 'forbidden'],
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['::', 'forbidden'],
    ['::1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'forbidden'],
    ['fe80::1%eth0', 'forbidden'],
    ['febf::1', 'forbidden'],
    ['ff02::1', 'forbidden'],
    ['::ffff:169.254.169.254', 'forbidden'],
    ['::ffff:a9fe:a9fe', 'forbidden'],
    ['::ffff:127.0.0.1', 'private'],
    ['::ffff:7f00:1', 'private'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:0.0.0.0', 'forbidden'],
    ['::127.0.0.1', 'private'],
    ['::a9fe:a9fe', 'forbidden'],
    ['64:ff9b::a9fe:a9fe', 'forbidden'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:a9fe:a9fe::1', 'forbidden'],
    ['2002:0a00:0001::1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    // Cloud metadata inside otherwise private ranges: never, even when allow-listed.
    ['100.100.100.200', 'forbidden'],
    ['100.100.100.201', 'private'],
    ['192.0.0.192', 'forbidden'],
    ['192.0.0.170', 'forbidden'],
    ['fd00:ec2::254', 'forbidden'],
    ['fd00:ec2::253', 'private'],
    ['fd20:ce::254', 'forbidden'],
    ['::ffff:100.100.100.200', 'forbidden'],
    // Translated IPv4 (::ffff:0:a.b.c.d), NAT64 local use, Teredo.
    ['::ffff:0:127.0.0.1', 'private'],
    ['::ffff:0:169.254.169.254', 'forbidden'],
    ['::ffff:0:8.8.8.8', 'public'],
    ['64:ff9b:1::a9fe:a9fe', 'forbidden'],
    ['64:ff9b:1:a9fe:a9:fe00::', 'forbidden'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'forbidden'],
    ['2001:db8::1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['not-an-ip', 'forbidden'],
    ['', 'forbidden'],
  ];
  it.each(cases)('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });
});

describe('parseIPv6', () => {
  it('expands compressed forms and embedded IPv4 tails to 16 bytes', () => {
    expect(Array.from(parseIPv6('::1') ?? [])).toEqual([...new Array(15).fill(0), 1]);
    expect(Array.from(parseIPv6('::ffff:1.2.3.4') ?? []).slice(10)).toEqual([0xff, 0xff, 1, 2, 3, 4]);
    expect(Array.from(parseIPv6('1:2:3:4:5:6:7:8') ?? []).filter((_, index) => index % 2 === 1)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6('1.2.3.4')).toBeNull();
    expect(parseIPv6('gggg::1')).toBeNull();
  });
});
