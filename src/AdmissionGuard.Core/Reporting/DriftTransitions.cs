using System.Collections.Immutable;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Reporting;

/// <summary>
/// Which Events a new drift report calls for, against the last one that was recorded: one per policy that
/// starts to differ (<c>DriftDetected</c>), differs otherwise (<c>DriftChanged</c>: its note would change)
/// or stops differing (<c>DriftResolved</c>). A policy that differs as before calls for none: Events
/// record changes, not every comparison.
/// </summary>
public static class DriftTransitions
{
    /// <param name="before">The report the last Events were recorded for; null when none were (a new reporter).</param>
    public static ImmutableArray<(DriftEvent Event, DriftItem Item)> Between(DriftReport? before, DriftReport after)
    {
        var old = new Dictionary<PolicyKey, DriftItem>();
        foreach (var item in before?.Items ?? [])
        {
            old[item.Id] = item;
        }

        var events = ImmutableArray.CreateBuilder<(DriftEvent, DriftItem)>();
        foreach (var item in after.Items)
        {
            if (!old.Remove(item.Id, out var was))
            {
                events.Add((DriftEvent.Detected(item), item));
            }
            else if (DriftEvent.NoteOf(was) != DriftEvent.NoteOf(item))
            {
                events.Add((DriftEvent.Changed(item), item));
            }
        }

        foreach (var was in old.Values.OrderBy(i => i.Namespace, StringComparer.Ordinal).ThenBy(i => i.Name, StringComparer.Ordinal))
        {
            events.Add((DriftEvent.Resolved(was), was));
        }

        return events.ToImmutable();
    }
}
