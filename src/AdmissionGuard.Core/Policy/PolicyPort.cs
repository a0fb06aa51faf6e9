namespace AdmissionGuard.Core.Policy;

/// <summary>
/// A port entry: protocol (TCP when omitted, as the API server defaults it) and a numeric port,
/// a numeric range, a named port, or none at all (every port of the protocol).
/// Numeric and named ports stay distinct: which pods a name resolves to is not knowable here.
/// </summary>
public sealed record PolicyPort(string Protocol, int? Number, int? EndPort, string? Name)
{
    public string Text { get; } = Render(Protocol, Number, EndPort, Name);

    public bool Equals(PolicyPort? other) => other is not null && Text == other.Text;

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Text;

    private static string Render(string protocol, int? number, int? endPort, string? name) =>
        (number, endPort, name) switch
        {
            (null, _, null) => $"{protocol}/*",
            (null, _, { } portName) => $"{protocol}/{portName}",
            ({ } from, { } to, _) when to != from => $"{protocol}/{from}-{to}",
            ({ } single, _, _) => $"{protocol}/{single}",
        };
}
