using System.Collections.Immutable;

namespace AdmissionGuard.Core.Policy;

/// <summary>The fields of a NetworkPolicy's spec, as managedFields record their ownership.</summary>
/// <remarks>
/// NetworkPolicy's label selectors and lists are atomic (<c>+listType=atomic</c>, <c>+structType=atomic</c>):
/// the API server records <c>f:ingress: {}</c>, never one rule, so these four are the finest grain there is.
/// </remarks>
[Flags]
public enum SpecFields
{
    None = 0,
    PodSelector = 1,
    PolicyTypes = 2,
    Ingress = 4,
    Egress = 8,
    All = PodSelector | PolicyTypes | Ingress | Egress,
}

/// <summary>
/// A set of a NetworkPolicy's fields at the grain managedFields give: top-level spec fields, and label
/// and annotation keys. Both what a manager owns and what differs from Git.
/// </summary>
public sealed record PolicyFields(SpecFields Spec, ImmutableArray<string> Labels, ImmutableArray<string> Annotations)
{
    public static PolicyFields None { get; } = new(SpecFields.None, [], []);

    public bool IsEmpty => Spec == SpecFields.None && Labels.IsEmpty && Annotations.IsEmpty;

    public bool Overlaps(PolicyFields other) =>
        (Spec & other.Spec) != SpecFields.None || Shares(Labels, other.Labels) || Shares(Annotations, other.Annotations);

    /// <summary>
    /// The fields in which <paramref name="live"/> differs from <paramref name="declared"/>: everything it has
    /// when Git declares nothing (an unmanaged policy). Labels and annotations count only when compared.
    /// </summary>
    public static PolicyFields Differing(CanonicalPolicy? declared, CanonicalPolicy live, MetadataFilter? metadata)
    {
        if (declared is null)
        {
            return new(SpecFields.All, Compared(live.Labels, metadata), Compared(live.Annotations, metadata));
        }

        var (e, a) = (declared.Spec, live.Spec);
        var spec = SpecFields.None;
        spec |= e.PodSelector.Equals(a.PodSelector) ? SpecFields.None : SpecFields.PodSelector;
        spec |= e.PolicyTypes.SequenceEqual(a.PolicyTypes) ? SpecFields.None : SpecFields.PolicyTypes;
        spec |= e.Ingress.SequenceEqual(a.Ingress) ? SpecFields.None : SpecFields.Ingress;
        spec |= e.Egress.SequenceEqual(a.Egress) ? SpecFields.None : SpecFields.Egress;
        if (metadata is null)
        {
            return spec == SpecFields.None ? None : new(spec, [], []);
        }

        return new(spec, Changed(declared.Labels, live.Labels, metadata), Changed(declared.Annotations, live.Annotations, metadata));
    }

    private static ImmutableArray<string> Compared(ImmutableSortedDictionary<string, string> entries, MetadataFilter? metadata) =>
        metadata is null ? [] : [.. entries.Keys.Where(k => !metadata.IsIgnored(k))];

    /// <summary>Keys added, removed or changed, ignored ones left out.</summary>
    private static ImmutableArray<string> Changed(
        ImmutableSortedDictionary<string, string> expected, ImmutableSortedDictionary<string, string> actual, MetadataFilter metadata) =>
        [.. expected.Keys.Union(actual.Keys, StringComparer.Ordinal)
            .Where(k => !metadata.IsIgnored(k)
                && (!expected.TryGetValue(k, out var was) || !actual.TryGetValue(k, out var now) || was != now))];

    private static bool Shares(ImmutableArray<string> left, ImmutableArray<string> right)
    {
        foreach (var key in left)
        {
            if (right.Contains(key, StringComparer.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
