using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// A NetworkPolicy reduced to what decides traffic, normalised the way the API server defaults
/// it, with set semantics wherever order and duplicates do not change behaviour.
/// Two policies are equivalent exactly when their <see cref="PolicySpec.Key"/>s are equal.
/// </summary>
public sealed record CanonicalPolicy(
    string Namespace,
    string Name,
    PolicySpec Spec,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableSortedDictionary<string, string> Annotations)
{
    public PolicyKey Id => new(Namespace, Name);

    /// <summary>
    /// Who wrote which fields (<see cref="Policy.ManagedFields"/>): kept for live objects only, to say who
    /// changed a drifted one; empty for Git manifests and admission requests. Never part of equivalence.
    /// </summary>
    public ImmutableArray<ManagedFieldsEntry> ManagedFields { get; init; } = [];

    /// <summary>
    /// The live object's <c>metadata.uid</c> as the API server served it, so that Events and reports can point at
    /// this very object; null for Git manifests, admission requests and saved files. Never part of equivalence.
    /// </summary>
    public string? Uid { get; init; }
}

public sealed record PolicySpec(
    LabelSelector PodSelector,
    ImmutableArray<string> PolicyTypes,
    ImmutableArray<PolicyRule> Ingress,
    ImmutableArray<PolicyRule> Egress)
{
    private string? _key;

    /// <summary>A copy (<c>with</c>) gets its own key: the original's would not describe the copy's parts.</summary>
    private PolicySpec(PolicySpec original)
    {
        (PodSelector, PolicyTypes, Ingress, Egress) = (original.PodSelector, original.PolicyTypes, original.Ingress, original.Egress);
    }

    /// <summary>
    /// The whole governed spec as one string, equal exactly for equivalent specs: for hashes and messages, built when
    /// first asked. Comparing does not need it (rules, selectors and ports hold their own keys), so a baseline's specs
    /// do not carry one each.
    /// </summary>
    public string Key => _key ??= Render(PodSelector, PolicyTypes, Ingress, Egress);

    public bool Equals(PolicySpec? other) =>
        ReferenceEquals(this, other)
        || (other is not null
            && PodSelector.Equals(other.PodSelector)
            && PolicyTypes.AsSpan().SequenceEqual(other.PolicyTypes.AsSpan())
            && Ingress.AsSpan().SequenceEqual(other.Ingress.AsSpan())
            && Egress.AsSpan().SequenceEqual(other.Egress.AsSpan()));

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(PodSelector);
        foreach (var type in PolicyTypes)
        {
            hash.Add(type);
        }

        foreach (var rules in (ReadOnlySpan<ImmutableArray<PolicyRule>>)[Ingress, Egress])
        {
            hash.Add(rules.Length);
            foreach (var rule in rules)
            {
                hash.Add(rule);
            }
        }

        return hash.ToHashCode();
    }

    private static string Render(LabelSelector podSelector, ImmutableArray<string> policyTypes, ImmutableArray<PolicyRule> ingress, ImmutableArray<PolicyRule> egress)
    {
        var key = new DefaultInterpolatedStringHandler(0, 0, null, stackalloc char[KeyText.StackLength]);
        key.AppendLiteral("sel[");
        key.AppendLiteral(podSelector.Text);
        key.AppendLiteral("]types[");
        KeyText.AppendJoined(ref key, policyTypes, ',', static t => t);
        key.AppendLiteral("]in[");
        AppendRules(ref key, ingress);
        key.AppendLiteral("]eg[");
        AppendRules(ref key, egress);
        key.AppendFormatted(']');
        return key.ToStringAndClear();
    }

    private static void AppendRules(ref DefaultInterpolatedStringHandler key, ImmutableArray<PolicyRule> rules)
    {
        for (var i = 0; i < rules.Length; i++)
        {
            if (i > 0)
            {
                key.AppendFormatted(';');
            }

            KeyText.AppendJoined(ref key, rules[i].Peers, '|', static p => p.Key);
            key.AppendFormatted('#');
            KeyText.AppendJoined(ref key, rules[i].Ports, ',', static p => p.Text);
        }
    }
}

/// <summary>Where a policy lives: namespace and name.</summary>
public readonly record struct PolicyKey(string Namespace, string Name)
{
    public override string ToString() => $"{Namespace}/{Name}";
}
