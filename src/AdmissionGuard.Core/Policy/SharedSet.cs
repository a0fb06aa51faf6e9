using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// The one instance <see cref="PolicySharing"/> keeps of each distinct part: a table behind one lock. Its entries are
/// slots of one array, where a ConcurrentDictionary makes an object per entry: half a million of them at 50,000
/// policies, each copied by the collections of the read that made it.
/// </summary>
internal sealed class SharedSet<T>(IEqualityComparer<T> comparer)
    where T : class
{
    private readonly Dictionary<T, T> _items = new(comparer);
    private readonly Lock _lock = new();

    public bool TryGet(T item, [MaybeNullWhen(false)] out T shared)
    {
        lock (_lock)
        {
            return _items.TryGetValue(item, out shared);
        }
    }

    /// <summary>The instance kept equal to <paramref name="item"/>: the one kept before, or this one from now on.</summary>
    public T GetOrAdd(T item)
    {
        lock (_lock)
        {
            ref var kept = ref CollectionsMarshal.GetValueRefOrAddDefault(_items, item, out var exists);
            if (!exists)
            {
                kept = item;
            }

            return kept!;
        }
    }
}
