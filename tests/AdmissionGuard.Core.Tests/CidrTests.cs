using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Tests;

/// <summary>CIDRs compare as networks; what the API server's CIDR parser rejects is not a CIDR.</summary>
public class CidrTests
{
    public static TheoryData<string, string, string> Networks => new()
    {
        { "canonical IPv4 network stays as it is", "10.0.0.0/8", "10.0.0.0/8" },
        { "IPv4 host bits are cleared", "10.0.0.1/8", "10.0.0.0/8" },
        { "IPv4 host bits are cleared within an octet", "192.168.1.130/25", "192.168.1.128/25" },
        { "IPv4 /32 keeps the address", "192.168.1.1/32", "192.168.1.1/32" },
        { "IPv4 /0 is everything", "1.2.3.4/0", "0.0.0.0/0" },
        { "IPv4 leading zeros are decimal, not octal", "010.000.000.010/32", "10.0.0.10/32" },
        { "IPv4 prefix with a leading zero", "10.0.0.0/08", "10.0.0.0/8" },
        { "IPv6 is compressed and lower-cased", "2001:0DB8:0000:0000:0000:0000:0000:0001/128", "2001:db8::1/128" },
        { "IPv6 host bits are cleared", "2001:db8::ffff/64", "2001:db8::/64" },
        { "IPv6 /0 is everything", "::1/0", "::/0" },
        { "IPv6 with an embedded IPv4 tail", "64:ff9b::192.0.2.33/96", "64:ff9b::/96" },
        { "IPv4-mapped IPv6 network, which the API server accepts", "::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104" },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Valid_CIDR_normalises_to_its_network(string behaviour, string text, string expected)
    {
        Assert.True(Cidr.TryNormalise(text, out var network), $"{behaviour}: {text} was refused");
        Assert.Equal(expected, network);
    }

    public static TheoryData<string, string> NotCidrs => new()
    {
        { "a word", "A" },
        { "empty", "" },
        { "address without prefix", "10.0.0.1" },
        { "prefix without address", "/8" },
        { "empty prefix", "10.0.0.0/" },
        { "negative prefix", "10.0.0.0/-1" },
        { "signed prefix", "10.0.0.0/+8" },
        { "prefix with a space", "10.0.0.0/ 8" },
        { "IPv4 prefix longer than 32", "10.0.0.0/33" },
        { "IPv6 prefix longer than 128", "2001:db8::/129" },
        { "huge prefix", "10.0.0.0/99999999999" },
        { "three IPv4 octets", "10.0.0/8" },
        { "five IPv4 octets", "10.0.0.0.0/8" },
        { "IPv4 octet above 255", "10.0.0.256/32" },
        { "IPv4 octet of four digits", "10.0.0.0001/32" },
        { "empty IPv4 octet", "10..0.0/16" },
        { "hexadecimal IPv4 octet", "0x0a.0.0.0/8" },
        { "two double colons in IPv6", "1::2::3/64" },
        { "IPv6 in brackets", "[2001:db8::]/32" },
        { "IPv6 with a zone", "fe80::1%eth0/64" },
        { "two slashes", "10.0.0.0/8/8" },
    };

    [Theory]
    [MemberData(nameof(NotCidrs))]
    public void Text_that_is_not_a_CIDR_is_refused(string behaviour, string text)
    {
        Assert.False(Cidr.TryNormalise(text, out var network), $"{behaviour}: {text} read as {network}");
    }
}
