using System.Collections.Immutable;

namespace AdmissionGuard.Core.Policy;

/// <summary>Label (or annotation) maps compared by their entries, in order, with the same key comparer.</summary>
public sealed class LabelSetComparer : IEqualityComparer<ImmutableSortedDictionary<string, string>>
{
    public static readonly LabelSetComparer Instance = new();

    private LabelSetComparer()
    {
    }

    public bool Equals(ImmutableSortedDictionary<string, string>? x, ImmutableSortedDictionary<string, string>? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.Count == y.Count && x.KeyComparer == y.KeyComparer && x.SequenceEqual(y));

    public int GetHashCode(ImmutableSortedDictionary<string, string> labels)
    {
        var hash = new HashCode();
        foreach (var (key, value) in labels)
        {
            hash.Add(key, StringComparer.Ordinal);
            hash.Add(value, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }
}
