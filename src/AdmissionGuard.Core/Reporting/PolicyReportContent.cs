using System.Collections.Immutable;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Reporting;

/// <summary>
/// What the <c>wgpolicyk8s.io</c> PolicyReport of each governed namespace says, from a drift report: a
/// <c>pass</c> for each live NetworkPolicy equal to Git, a <c>fail</c> for each drifted one (rule
/// <c>drift/modified</c>, <c>drift/missing</c> or <c>drift/unmanaged</c>, as in SARIF). A namespace gets a
/// report when it has a governed policy, live or declared; the others get none.
/// </summary>
public static class PolicyReportContent
{
    /// <summary>The PolicyReport's name in each namespace.</summary>
    public const string ReportName = "admissionguard";

    public const string Source = "admissionguard";

    public const string Policy = "admissionguard";

    public const string Category = "NetworkPolicy drift";

    /// <summary>A policy that is live and declared can only drift by being modified: that is the rule it passes.</summary>
    public const string PassRule = "drift/modified";

    /// <summary>Messages as long as an Event's note: a report holds one per policy of its namespace.</summary>
    public const int MessageLimit = DriftEvent.NoteLimit;

    public const int PropertyLimit = 256;

    /// <param name="live">The governed live policies (in the drift report's scope) and their uids.</param>
    /// <param name="previous">The reports as last written, by namespace: an unchanged finding keeps its timestamp.</param>
    /// <param name="now">When new findings are made (whole seconds are kept).</param>
    public static ImmutableSortedDictionary<string, NamespacePolicyReport> For(
        DriftReport report,
        IReadOnlyDictionary<PolicyKey, string?> live,
        IReadOnlyDictionary<string, NamespacePolicyReport> previous,
        DateTimeOffset now)
    {
        var found = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var drifted = report.Items.ToDictionary(i => i.Id);
        var results = new Dictionary<string, List<PolicyReportResult>>(StringComparer.Ordinal);
        var earlier = previous.Values
            .SelectMany(r => r.Results.Select(x => (Key: (r.Namespace, x.Name, x.Rule), Result: x)))
            .ToDictionary(e => e.Key, e => e.Result);

        void Add(string ns, PolicyReportResult result)
        {
            if (!results.TryGetValue(ns, out var list))
            {
                results[ns] = list = [];
            }

            list.Add(earlier.TryGetValue((ns, result.Name, result.Rule), out var before) && before.SameFinding(result) ? before : result);
        }

        foreach (var (id, uid) in live)
        {
            if (!drifted.ContainsKey(id))
            {
                Add(id.Namespace, new PolicyReportResult(id.Name, uid, PassRule, Passed: true, $"NetworkPolicy {id} equals Git", ImmutableSortedDictionary<string, string>.Empty, found));
            }
        }

        foreach (var item in report.Items)
        {
            Add(item.Namespace, new PolicyReportResult(
                item.Name, live.GetValueOrDefault(item.Id), Rule(item.Type), Passed: false,
                Excerpt.Line(item.Describe(), MessageLimit), Properties(item), found));
        }

        return results.ToImmutableSortedDictionary(
            r => r.Key,
            r => new NamespacePolicyReport(r.Key, [.. r.Value.OrderBy(x => x.Name, StringComparer.Ordinal).ThenBy(x => x.Rule, StringComparer.Ordinal)]),
            StringComparer.Ordinal);
    }

    public static string Rule(DriftType type) => $"drift/{type.ToString().ToLowerInvariant()}";

    /// <summary>Where Git declares it, who changed it, its break-glass: what Policy Reporter lists beside the message.</summary>
    private static ImmutableSortedDictionary<string, string> Properties(DriftItem item)
    {
        var properties = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (item.Where is { } where)
        {
            properties["gitPath"] = Excerpt.Of(where, PropertyLimit);
        }

        if (item.LastChange is { } change)
        {
            properties["changedBy"] = Excerpt.Of(change.ToString(), PropertyLimit);
        }

        if (item.BreakGlass is { } breakGlass)
        {
            properties["breakGlass"] = Excerpt.Of(breakGlass.ToString(), PropertyLimit);
        }

        return properties.ToImmutable();
    }
}
