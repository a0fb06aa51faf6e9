using System.Collections;
using System.Collections.Immutable;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Cluster;

/// <summary>
/// The uids of the live policies in governed namespaces, read from a snapshot when asked: a report after one watch
/// event does not copy 50,000 of them for Events and PolicyReports that look up a few.
/// </summary>
internal sealed class GovernedUids(ImmutableDictionary<PolicyKey, CanonicalPolicy> policies, DecisionSettings settings) : IReadOnlyDictionary<PolicyKey, string?>
{
    public string? this[PolicyKey key] => TryGetValue(key, out var uid) ? uid : throw new KeyNotFoundException($"NetworkPolicy {key} is not live in a governed namespace");

    public IEnumerable<PolicyKey> Keys => this.Select(pair => pair.Key);

    public IEnumerable<string?> Values => this.Select(pair => pair.Value);

    public int Count => policies.Values.Count(p => settings.IsGoverned(p.Namespace));

    public bool ContainsKey(PolicyKey key) => TryGetValue(key, out _);

    public bool TryGetValue(PolicyKey key, out string? value)
    {
        if (policies.TryGetValue(key, out var policy) && settings.IsGoverned(policy.Namespace))
        {
            value = policy.Uid;
            return true;
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<PolicyKey, string?>> GetEnumerator()
    {
        foreach (var (key, policy) in policies)
        {
            if (settings.IsGoverned(policy.Namespace))
            {
                yield return new(key, policy.Uid);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
