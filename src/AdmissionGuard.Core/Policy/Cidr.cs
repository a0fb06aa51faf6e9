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

        var addressText = text[..slash];
        if (!TryParseAddress(addressText, out var address))
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        if (prefix > bytes.Length * 8)
        {
            return false;
        }

        for (var bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        network = $"{new IPAddress(bytes)}/{prefix}";
        return true;
    }

    private static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            // IPAddress.TryParse also takes "[...]" and "%zone"; Kubernetes takes neither. An IPv4-mapped
            // address stays IPv6, as in Kubernetes: its prefix length counts 128 bits.
            if (text.AsSpan().IndexOfAny('[', ']', '%') >= 0
                || !IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            address = parsed;
            return true;
        }

        // IPAddress.TryParse reads "010" as octal and accepts "10.1" shorthand; Kubernetes does neither.
        var octets = text.Split('.');
        if (octets.Length != 4)
        {
            return false;
        }

        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            if (octets[i].Length is 0 or > 3 || !byte.TryParse(octets[i], System.Globalization.NumberStyles.None, null, out bytes[i]))
            {
                return false;
            }
        }

        address = new IPAddress(bytes);
        return true;
    }
}
