using System.Collections.Immutable;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core;

/// <summary>
/// Who last changed a drifted policy, and how: the managedFields entry DESIGN.md's "When and how" names.
/// </summary>
public static class LastChange
{
    /// <summary>
    /// The latest entry among those that own a field in <paramref name="differing"/>; when none does, the
    /// latest entry; null when there are no entries.
    /// </summary>
    /// <remarks>
    /// "Latest" orders by time, then <c>Update</c> before <c>Apply</c>, then list order, and takes the last.
    /// Times are whole seconds, so ties are common, and the list is no clock: the API server lists every
    /// Apply entry before every Update entry, each group by time.
    /// </remarks>
    public static ManagedFieldsEntry? Choose(ImmutableArray<ManagedFieldsEntry> entries, PolicyFields differing) =>
        Latest(entries, differing) ?? Latest(entries, null);

    private static ManagedFieldsEntry? Latest(ImmutableArray<ManagedFieldsEntry> entries, PolicyFields? owning)
    {
        ManagedFieldsEntry? latest = null;
        foreach (var entry in entries)
        {
            // Not before the latest so far is after it: on a full tie the later in the list wins.
            if ((owning is null || entry.Owned.Overlaps(owning)) && (latest is null || !Before(entry, latest)))
            {
                latest = entry;
            }
        }

        return latest;
    }

    private static bool Before(ManagedFieldsEntry entry, ManagedFieldsEntry other)
    {
        var (time, otherTime) = (entry.Time ?? DateTimeOffset.MinValue, other.Time ?? DateTimeOffset.MinValue);
        return time != otherTime ? time < otherTime : entry.Operation < other.Operation;
    }
}
