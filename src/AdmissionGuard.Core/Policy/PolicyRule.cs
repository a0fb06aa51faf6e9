using System.Collections.Immutable;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// One ingress or egress rule. Peers and ports are OR-ed, so both are sorted, de-duplicated
/// sets; an empty list means "every peer" or "every port", as in the API.
/// </summary>
public sealed record PolicyRule(ImmutableArray<Peer> Peers, ImmutableArray<PolicyPort> Ports)
{
    /// <summary>The peers as one string (what the rules of a list are sorted by); made when asked, not kept.</summary>
    public string PeersKey => KeyText.Join(Peers, '|', static p => p.Key);

    /// <summary>The ports as one string; made when asked, not kept.</summary>
    public string PortsKey => KeyText.Join(Ports, ',', static p => p.Text);

    /// <summary>Built when asked, not stored: the spec's key already contains it.</summary>
    public string Key => string.Concat(PeersKey, "#", PortsKey);

    /// <remarks>
    /// Compared part by part rather than by <see cref="Key"/>: a baseline keeps no key strings (about 300 bytes a rule), and
    /// comparing a review's rules with Git's makes none.
    /// </remarks>
    public bool Equals(PolicyRule? other) =>
        ReferenceEquals(this, other) || (other is not null && SamePeers(other) && SamePorts(other));

    public bool SamePeers(PolicyRule other) => Peers.AsSpan().SequenceEqual(other.Peers.AsSpan());

    public bool SamePorts(PolicyRule other) => Ports.AsSpan().SequenceEqual(other.Ports.AsSpan());

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var peer in Peers.AsSpan())
        {
            hash.Add(peer);
        }

        hash.Add(Peers.AsSpan().Length);
        foreach (var port in Ports.AsSpan())
        {
            hash.Add(port);
        }

        return hash.ToHashCode();
    }

    /// <summary><c>from ipBlock 0.0.0.0/0 ports TCP/5432</c>; <paramref name="direction"/> is "from" or "to".</summary>
    public string Describe(string direction) => $"{DescribePeers(direction)} {DescribePorts()}";

    public string DescribePeers(string direction) =>
        Peers.IsEmpty ? $"{direction} anywhere" : $"{direction} {string.Join(" or ", Peers.Select(p => p.Text))}";

    public string DescribePorts() =>
        Ports.IsEmpty ? "all ports" : (Ports.Length == 1 ? "port " : "ports ") + string.Join(',', Ports.Select(p => p.Text));
}
