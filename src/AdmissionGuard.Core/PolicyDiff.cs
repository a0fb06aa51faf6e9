using System.Collections.Immutable;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core;

/// <summary>
/// The differences between two policies as short lines a person can act on, e.g.
/// <c>spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432</c>.
/// </summary>
public static class PolicyDiff
{
    /// <param name="expected">What Git declares (or the previous state).</param>
    /// <param name="actual">What the request would make live.</param>
    public static ImmutableArray<string> Between(CanonicalPolicy expected, CanonicalPolicy actual, MetadataFilter? metadata = null)
    {
        var lines = ImmutableArray.CreateBuilder<string>();
        var (e, a) = (expected.Spec, actual.Spec);
        if (!e.PodSelector.Equals(a.PodSelector))
        {
            lines.Add($"spec.podSelector: changed from {e.PodSelector.Describe()} to {a.PodSelector.Describe()}");
        }

        foreach (var type in a.PolicyTypes.Except(e.PolicyTypes))
        {
            lines.Add($"spec.policyTypes: {type} added");
        }

        foreach (var type in e.PolicyTypes.Except(a.PolicyTypes))
        {
            lines.Add($"spec.policyTypes: {type} removed");
        }

        CompareRules(lines, "spec.ingress", "from", e.Ingress, a.Ingress);
        CompareRules(lines, "spec.egress", "to", e.Egress, a.Egress);
        if (metadata is not null)
        {
            CompareMap(lines, "metadata.labels", metadata.Filter(expected.Labels), metadata.Filter(actual.Labels));
            CompareMap(lines, "metadata.annotations", metadata.Filter(expected.Annotations), metadata.Filter(actual.Annotations));
        }

        return lines.ToImmutable();
    }

    private static void CompareRules(
        ImmutableArray<string>.Builder lines, string field, string direction, ImmutableArray<PolicyRule> expected, ImmutableArray<PolicyRule> actual)
    {
        var removed = expected.Except(actual).ToList();
        var added = actual.Except(expected).ToList();

        // A rule whose peers (or ports) stayed the same reads better as one changed rule than as a removal and an addition.
        foreach (var rule in added.ToList())
        {
            if (removed.FirstOrDefault(r => r.SamePeers(rule)) is { } samePeers)
            {
                lines.Add($"{field}: rule {rule.DescribePeers(direction)}: {DescribeSetChange("port", samePeers.Ports.Select(p => p.Text), rule.Ports.Select(p => p.Text), "all ports")}");
                removed.Remove(samePeers);
                added.Remove(rule);
            }
            else if (removed.FirstOrDefault(r => r.SamePorts(rule)) is { } samePorts)
            {
                lines.Add($"{field}: rule on {rule.DescribePorts()}: {DescribeSetChange("peer", samePorts.Peers.Select(p => p.Text), rule.Peers.Select(p => p.Text), "anywhere")}");
                removed.Remove(samePorts);
                added.Remove(rule);
            }
        }

        lines.AddRange(added.Select(rule => $"{field}: rule added: {rule.Describe(direction)}"));
        lines.AddRange(removed.Select(rule => $"{field}: rule removed: {rule.Describe(direction)}"));
    }

    private static string DescribeSetChange(string noun, IEnumerable<string> before, IEnumerable<string> after, string emptyMeans)
    {
        var (was, now) = (before.ToList(), after.ToList());
        if (was.Count == 0 || now.Count == 0)
        {
            return $"was {Listed(noun, was, emptyMeans)}, now {Listed(noun, now, emptyMeans)}";
        }

        var parts = new List<string>();
        if (now.Except(was).ToList() is { Count: > 0 } plus)
        {
            parts.Add($"{Listed(noun, plus, emptyMeans)} added");
        }

        if (was.Except(now).ToList() is { Count: > 0 } minus)
        {
            parts.Add($"{Listed(noun, minus, emptyMeans)} removed");
        }

        return string.Join(", ", parts);
    }

    private static string Listed(string noun, List<string> items, string emptyMeans) =>
        items.Count switch
        {
            0 => emptyMeans,
            1 => $"{noun} {items[0]}",
            _ => $"{noun}s {string.Join(',', items)}",
        };

    private static void CompareMap(
        ImmutableArray<string>.Builder lines, string field, IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual)
    {
        foreach (var (key, value) in actual)
        {
            if (!expected.TryGetValue(key, out var old))
            {
                lines.Add($"{field}: {key} added");
            }
            else if (old != value)
            {
                lines.Add($"{field}: {key} changed");
            }
        }

        lines.AddRange(expected.Keys.Where(k => !actual.ContainsKey(k)).Select(k => $"{field}: {k} removed"));
    }
}
