using System.Net;
using System.Net.Sockets;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// CIDR parsing that compares networks, not spellings: host bits are cleared, IPv6 is
/// compressed, and IPv4 octets with leading zeros read as decimal, as Kubernetes reads them.
/// </summary>
public static class Cidr
{
    public static bool TryNormalise(string text, out string network)
    {
        network = "";
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out var prefix))
        {
            return false;
        }

        if (!text.AsSpan(0, slash).Contains(':'))
        {
            return TryNormaliseIPv4(text, slash, prefix, out network);
        }

        if (!TryParseAddress(text[..slash], out var address))
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        if (prefix > bytes.Length * 8)
        {
            return false;
        }

        ClearHostBits(bytes, prefix);
        network = $"{new IPAddress(bytes)}/{prefix}";
        return true;
    }

    /// <summary>
    /// IPv4 without <see cref="IPAddress"/>: four dot-separated decimal octets of 1-3 digits each, host
    /// bits cleared, written back in dotted decimal. (IPAddress.TryParse reads "010" as octal and accepts
    /// "10.1" shorthand; Kubernetes does neither.) A CIDR that is already canonical is returned as it is.
    /// </summary>
    private static bool TryNormaliseIPv4(string text, int slash, int prefix, out string network)
    {
        network = "";
        if (prefix > 32)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[4];
        var rest = text.AsSpan(0, slash);
        for (var i = 0; i < 4; i++)
        {
            var dot = rest.IndexOf('.');
            var octet = i < 3 ? (dot < 0 ? [] : rest[..dot]) : rest;
            if ((i < 3 && dot < 0) || (i == 3 && dot >= 0)
                || octet.Length is 0 or > 3
                || !byte.TryParse(octet, System.Globalization.NumberStyles.None, null, out bytes[i]))
            {
                return false;
            }

            rest = i < 3 ? rest[(dot + 1)..] : [];
        }

        ClearHostBits(bytes, prefix);
        Span<char> written = stackalloc char[18];
        if (!written.TryWrite(System.Globalization.CultureInfo.InvariantCulture, $"{bytes[0]}.{bytes[1]}.{bytes[2]}.{bytes[3]}/{prefix}", out var length))
        {
            return false;
        }

        network = written[..length].SequenceEqual(text) ? text : new string(written[..length]);
        return true;
    }

    private static void ClearHostBits(Span<byte> bytes, int prefix)
    {
        for (var bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }
    }

    private static bool TryParseAddress(string text, out IPAddress address)
    {
        // IPAddress.TryParse also takes "[...]" and "%zone"; Kubernetes takes neither. An IPv4-mapped
        // address stays IPv6, as in Kubernetes: its prefix length counts 128 bits.
        address = IPAddress.None;
        if (text.AsSpan().IndexOfAny('[', ']', '%') >= 0
            || !IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = parsed;
        return true;
    }
}
