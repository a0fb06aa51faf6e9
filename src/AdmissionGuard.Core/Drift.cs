using System.Collections.Immutable;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core;

/// <summary>How a live NetworkPolicy departs from Git.</summary>
public enum DriftType
{
    /// <summary>Declared in Git, not in the cluster.</summary>
    Missing,

    /// <summary>In the cluster, in a governed namespace, not declared in Git.</summary>
    Unmanaged,

    /// <summary>In both, not equivalent.</summary>
    Modified,
}

/// <summary>One policy that differs from Git; <see cref="GitPath"/> is null for unmanaged policies.</summary>
public sealed record DriftItem(string Namespace, string Name, DriftType Type, ImmutableArray<string> Differences, string? GitPath)
{
    public PolicyKey Id => new(Namespace, Name);

    /// <summary>The rendered source (a kustomize root) whose build declares it; null for a plain file.</summary>
    public string? Via { get; init; }

    /// <summary>Who last changed the live object, for modified and unmanaged items (<see cref="Core.LastChange"/>); null when unknown.</summary>
    public ManagedFieldsEntry? LastChange { get; init; }

    /// <summary>The live object's break-glass annotations; null when it carries none.</summary>
    public DriftBreakGlass? BreakGlass { get; init; }

    /// <summary><c>changed by kubectl-edit (Update) at 2026-12-01T21:48:59Z; break-glass "INC-7" expired 2026-12-01T23:00:00Z</c>; null when neither is known.</summary>
    public string? Provenance => (LastChange, BreakGlass) switch
    {
        (null, null) => null,
        ({ } change, null) => $"changed by {change}",
        (null, { } breakGlass) => breakGlass.ToString(),
        var (change, breakGlass) => $"changed by {change}; {breakGlass}",
    };

    /// <summary>Where Git declares it: <c>apps/base/db.yaml</c>, or <c>apps/base/db.yaml via apps/overlays/prod</c>.</summary>
    public string? Where => GitPath is null ? null : Via is null ? GitPath : $"{GitPath} via {Via}";

    /// <summary>One line for logs: what is wrong with this policy.</summary>
    public string Describe() => Type switch
    {
        DriftType.Missing => $"NetworkPolicy {Id} is declared in Git ({Where}) but not in the cluster",
        DriftType.Unmanaged => $"NetworkPolicy {Id} is in the cluster but not declared in Git",
        _ => $"NetworkPolicy {Id} differs from Git ({Where}): {string.Join("; ", Differences)}",
    };
}

/// <summary>
/// The drift between one Git commit and the live NetworkPolicies, items sorted by namespace and name.
/// <see cref="Declared"/> and <see cref="Live"/> count the policies in scope on each side.
/// </summary>
public sealed record DriftReport(string Commit, string Ref, DateTimeOffset ScannedAt, int Declared, int Live, ImmutableArray<DriftItem> Items)
{
    public int Missing { get; } = Items.Count(i => i.Type == DriftType.Missing);

    public int Unmanaged { get; } = Items.Count(i => i.Type == DriftType.Unmanaged);

    public int Modified { get; } = Items.Count(i => i.Type == DriftType.Modified);

    /// <summary>Drifted policies whose break-glass had expired at the scan: the exception is over, the drift is not.</summary>
    public int BreakGlassExpired { get; } = Items.Count(i => i.BreakGlass is { Expired: true });

    /// <summary>When the next break-glass on a drifted policy expires, after the scan; the report is out of date from then.</summary>
    public DateTimeOffset? NextBreakGlassExpiry { get; } = Items
        .Select(i => i.BreakGlass is { Expired: false, Expires: { } expires } ? expires : (DateTimeOffset?)null)
        .Min();

    public bool HasDrift => !Items.IsEmpty;

    public string ShortCommit => Commit.Length > 7 ? Commit[..7] : Commit;

    public int Count(DriftType type) => type switch
    {
        DriftType.Missing => Missing,
        DriftType.Unmanaged => Unmanaged,
        _ => Modified,
    };
}

/// <summary>
/// Compares a baseline with the live policies. Only governed namespaces are in scope (as for
/// admission), narrowed further by <c>namespaces</c> when it names any. Equivalent objects (API
/// server defaults, reordering) are not drift; a modified policy lists the same per-field
/// differences as a deny message.
/// </summary>
public static class Drift
{
    /// <param name="namespaces">Namespace globs that limit the scope; empty means every governed namespace.</param>
    public static DriftReport Find(
        Baseline baseline,
        IEnumerable<CanonicalPolicy> live,
        DecisionSettings settings,
        IReadOnlyCollection<NamespacePattern> namespaces,
        DateTimeOffset now)
    {
        bool InScope(string ns) => settings.IsGoverned(ns) && (namespaces.Count == 0 || namespaces.Any(p => p.Matches(ns)));

        var items = new List<DriftItem>();
        var seen = new HashSet<PolicyKey>();
        var liveCount = 0;
        foreach (var actual in live)
        {
            if (!InScope(actual.Namespace) || !seen.Add(actual.Id))
            {
                continue;
            }

            liveCount++;
            var declared = baseline.Find(actual.Id);
            if (declared is null)
            {
                items.Add(Live(new DriftItem(actual.Namespace, actual.Name, DriftType.Unmanaged, [], null), null, actual, settings, now));
            }
            else if (!Decide.Equivalent(declared.Policy, actual, settings))
            {
                var differences = PolicyDiff.Between(declared.Policy, actual, settings.CompareMetadata);
                var item = new DriftItem(actual.Namespace, actual.Name, DriftType.Modified, differences, declared.SourcePath) { Via = declared.Via };
                items.Add(Live(item, declared.Policy, actual, settings, now));
            }
        }

        var declaredCount = 0;
        foreach (var entry in baseline.Entries)
        {
            if (!InScope(entry.Policy.Namespace))
            {
                continue;
            }

            declaredCount++;
            if (!seen.Contains(entry.Policy.Id))
            {
                items.Add(new DriftItem(entry.Policy.Namespace, entry.Policy.Name, DriftType.Missing, [], entry.SourcePath) { Via = entry.Via });
            }
        }

        var sorted = items
            .OrderBy(i => i.Namespace, StringComparer.Ordinal)
            .ThenBy(i => i.Name, StringComparer.Ordinal)
            .ToImmutableArray();
        return new DriftReport(baseline.Commit, baseline.Ref, now, declaredCount, liveCount, sorted);
    }

    /// <summary>What the live object tells about its drift: who changed it last, and its break-glass.</summary>
    private static DriftItem Live(DriftItem item, CanonicalPolicy? declared, CanonicalPolicy live, DecisionSettings settings, DateTimeOffset now) => item with
    {
        LastChange = live.ManagedFields.IsEmpty
            ? null
            : Core.LastChange.Choose(live.ManagedFields, PolicyFields.Differing(declared, live, settings.CompareMetadata)),
        BreakGlass = DriftBreakGlass.Of(live, settings.BreakGlass, now),
    };
}
