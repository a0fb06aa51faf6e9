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
        var items = new List<DriftItem>();
        var seen = new HashSet<PolicyKey>();
        var liveCount = 0;
        foreach (var actual in live)
        {
            if (!InScope(actual.Namespace, settings, namespaces) || !seen.Add(actual.Id))
            {
                continue;
            }

            liveCount++;
            if (ItemFor(baseline.Find(actual.Id), actual, settings, now) is { } item)
            {
                items.Add(item);
            }
        }

        var declaredCount = 0;
        foreach (var entry in baseline.Entries)
        {
            if (!InScope(entry.Policy.Namespace, settings, namespaces))
            {
                continue;
            }

            declaredCount++;
            if (!seen.Contains(entry.Policy.Id))
            {
                items.Add(ItemFor(entry, null, settings, now)!);
            }
        }

        return new DriftReport(baseline.Commit, baseline.Ref, now, declaredCount, liveCount, Sorted(items));
    }

    /// <summary>
    /// <paramref name="previous"/> after the live policies named in <paramref name="changed"/> were added, changed or
    /// deleted, with the same baseline, settings and scope: what <see cref="Find"/> gives for <paramref name="live"/>,
    /// from the changed policies alone. A watch event at 50,000 policies costs its own comparison, not theirs.
    /// </summary>
    /// <param name="live">Every live policy now, by key.</param>
    public static DriftReport Update(
        DriftReport previous,
        Baseline baseline,
        IReadOnlyDictionary<PolicyKey, CanonicalPolicy> live,
        IEnumerable<PolicyKey> changed,
        DecisionSettings settings,
        IReadOnlyCollection<NamespacePattern> namespaces,
        DateTimeOffset now)
    {
        var keys = changed.Where(k => InScope(k.Namespace, settings, namespaces)).ToHashSet();
        if (keys.Count == 0)
        {
            return previous with { ScannedAt = now };
        }

        var before = previous.Items.Where(i => keys.Contains(i.Id)).ToDictionary(i => i.Id);
        var items = previous.Items.Where(i => !keys.Contains(i.Id)).ToList();
        var liveCount = previous.Live;
        foreach (var key in keys)
        {
            var declared = baseline.Find(key);
            var wasLive = declared is null ? before.GetValueOrDefault(key)?.Type == DriftType.Unmanaged : before.GetValueOrDefault(key)?.Type != DriftType.Missing;
            var actual = live.GetValueOrDefault(key);
            liveCount += (actual is null ? 0 : 1) - (wasLive ? 1 : 0);
            if (ItemFor(declared, actual, settings, now) is { } item)
            {
                items.Add(item);
            }
        }

        return new DriftReport(previous.Commit, previous.Ref, now, previous.Declared, liveCount, Sorted(items));
    }

    private static bool InScope(string ns, DecisionSettings settings, IReadOnlyCollection<NamespacePattern> namespaces) =>
        settings.IsGoverned(ns) && (namespaces.Count == 0 || namespaces.Any(p => p.Matches(ns)));

    /// <summary>The drift of one policy in scope: declared, live, or both; null when the live one is equivalent to Git (or neither exists).</summary>
    private static DriftItem? ItemFor(BaselineEntry? declared, CanonicalPolicy? actual, DecisionSettings settings, DateTimeOffset now)
    {
        if (actual is null)
        {
            return declared is null
                ? null
                : new DriftItem(declared.Policy.Namespace, declared.Policy.Name, DriftType.Missing, [], declared.SourcePath) { Via = declared.Via };
        }

        if (declared is null)
        {
            return Live(new DriftItem(actual.Namespace, actual.Name, DriftType.Unmanaged, [], null), null, actual, settings, now);
        }

        if (Decide.Equivalent(declared.Policy, actual, settings))
        {
            return null;
        }

        var differences = PolicyDiff.Between(declared.Policy, actual, settings.CompareMetadata);
        var item = new DriftItem(actual.Namespace, actual.Name, DriftType.Modified, differences, declared.SourcePath) { Via = declared.Via };
        return Live(item, declared.Policy, actual, settings, now);
    }

    private static ImmutableArray<DriftItem> Sorted(List<DriftItem> items) =>
        [.. items.OrderBy(i => i.Namespace, StringComparer.Ordinal).ThenBy(i => i.Name, StringComparer.Ordinal)];

    /// <summary>What the live object tells about its drift: who changed it last, and its break-glass.</summary>
    private static DriftItem Live(DriftItem item, CanonicalPolicy? declared, CanonicalPolicy live, DecisionSettings settings, DateTimeOffset now) => item with
    {
        LastChange = live.ManagedFields.IsEmpty
            ? null
            : Core.LastChange.Choose(live.ManagedFields, PolicyFields.Differing(declared, live, settings.CompareMetadata)),
        BreakGlass = DriftBreakGlass.Of(live, settings.BreakGlass, now),
    };
}
