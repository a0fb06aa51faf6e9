using System.Collections.Immutable;

namespace AdmissionGuard.Core;

/// <summary>
/// Which labels and annotations are governed when metadata is compared: all but the ignored keys.
/// An ignored key ending in '/' ignores every key under that prefix.
/// </summary>
public sealed class MetadataFilter
{
    private readonly ImmutableArray<string> _exact;
    private readonly ImmutableArray<string> _prefixes;

    public MetadataFilter(IEnumerable<string> ignoredKeys)
    {
        var keys = ignoredKeys.ToList();
        _exact = [.. keys.Where(k => !k.EndsWith('/'))];
        _prefixes = [.. keys.Where(k => k.EndsWith('/'))];
    }

    public bool IsIgnored(string key) => IsIgnored(key.AsSpan());

    public bool IsIgnored(ReadOnlySpan<char> key)
    {
        foreach (var exact in _exact)
        {
            if (key.SequenceEqual(exact))
            {
                return true;
            }
        }

        foreach (var prefix in _prefixes)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public IReadOnlyDictionary<string, string> Filter(ImmutableSortedDictionary<string, string> entries) =>
        entries.Any(e => IsIgnored(e.Key)) ? entries.RemoveRange(entries.Keys.Where(IsIgnored).ToList()) : entries;

    public bool Same(ImmutableSortedDictionary<string, string> left, ImmutableSortedDictionary<string, string> right)
    {
        var (l, r) = (Filter(left), Filter(right));
        return l.Count == r.Count && l.All(e => r.TryGetValue(e.Key, out var v) && v == e.Value);
    }
}
