namespace AdmissionGuard.Core.Policy;

/// <summary>Arrays compared by their items, in order: lists of parts that <see cref="PolicySharing"/> holds once.</summary>
internal sealed class ListContentsComparer<T> : IEqualityComparer<T[]>
{
    public static readonly ListContentsComparer<T> Instance = new();

    private ListContentsComparer()
    {
    }

    public bool Equals(T[]? x, T[]? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y, EqualityComparer<T>.Default));

    public int GetHashCode(T[] items)
    {
        var hash = new HashCode();
        hash.Add(items.Length);
        foreach (var item in items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }
}
