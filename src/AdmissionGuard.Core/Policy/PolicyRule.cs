using System.Collections.Immutable;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// One ingress or egress rule. Peers and ports are OR-ed, so both are sorted, de-duplicated
/// sets; an empty list means "every peer" or "every port", as in the API.
/// </summary>
public sealed record PolicyRule(ImmutableArray<Peer> Peers, ImmutableArray<PolicyPort> Ports)
{
    public string PeersKey { get; } = KeyText.Join(Peers, '|', static p => p.Key);

    public string PortsKey { get; } = KeyText.Join(Ports, ',', static p => p.Text);

    /// <summary>Built when asked, not stored: the spec's key already contains it.</summary>
    public string Key => string.Concat(PeersKey, "#", PortsKey);

    public bool Equals(PolicyRule? other) => other is not null && PeersKey == other.PeersKey && PortsKey == other.PortsKey;

    public override int GetHashCode() => HashCode.Combine(PeersKey, PortsKey);

    /// <summary><c>from ipBlock 0.0.0.0/0 ports TCP/5432</c>; <paramref name="direction"/> is "from" or "to".</summary>
    public string Describe(string direction) => $"{DescribePeers(direction)} {DescribePorts()}";

    public string DescribePeers(string direction) =>
        Peers.IsEmpty ? $"{direction} anywhere" : $"{direction} {string.Join(" or ", Peers.Select(p => p.Text))}";

    public string DescribePorts() =>
        Ports.IsEmpty ? "all ports" : (Ports.Length == 1 ? "port " : "ports ") + string.Join(',', Ports.Select(p => p.Text));
}
