using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// Makes the policies of one baseline share their equal parts: one instance of each distinct rule, peer, selector,
/// port, list of ports or policy types, and string (namespaces, label keys and values). Policies of a multi-tenant
/// cluster repeat the same rules (DNS, monitoring, the ingress controller) in every namespace; shared, a rule is held
/// once instead of once per namespace. Equal parts are interchangeable: every part is immutable and compares by its canonical key.
/// </summary>
/// <remarks>
/// Thread-safe, so that files read in parallel share as they are read and their unshared copies die young. Two threads
/// sharing equal parts at once may each build a copy: the first one stored is the one both return.
/// </remarks>
public sealed class PolicySharing
{
    private readonly SharedSet<string> _strings = new(StringComparer.Ordinal);
    private readonly SharedSet<PolicySpec> _specs = new(EqualityComparer<PolicySpec>.Default);
    private readonly SharedSet<PolicyRule> _rules = new(EqualityComparer<PolicyRule>.Default);
    private readonly SharedSet<Peer> _peers = new(EqualityComparer<Peer>.Default);
    private readonly SharedSet<PolicyPort> _ports = new(EqualityComparer<PolicyPort>.Default);
    private readonly SharedSet<LabelSelector> _selectors = new(EqualityComparer<LabelSelector>.Default);
    private readonly SharedSet<ImmutableSortedDictionary<string, string>> _labelSets = new(LabelSetComparer.Instance);

    // A rule of its own (its peer is one tenant's app) still has the ports and policy types of many others.
    private readonly SharedSet<PolicyPort[]> _portLists = new(ListContentsComparer<PolicyPort>.Instance);
    private readonly SharedSet<string[]> _typeLists = new(ListContentsComparer<string>.Instance);

    /// <summary>The policy with its parts replaced by equal ones already seen; equal to <paramref name="policy"/> in every way.</summary>
    /// <remarks>A policy whose parts are all the shared ones already (read from an unchanged file) is returned as it is.</remarks>
    public CanonicalPolicy Share(CanonicalPolicy policy)
    {
        var (ns, spec, labels, annotations) = (String(policy.Namespace), Spec(policy.Spec), LabelSet(policy.Labels), LabelSet(policy.Annotations));
        return ReferenceEquals(ns, policy.Namespace) && ReferenceEquals(spec, policy.Spec)
            && ReferenceEquals(labels, policy.Labels) && ReferenceEquals(annotations, policy.Annotations)
            ? policy
            : policy with { Namespace = ns, Spec = spec, Labels = labels, Annotations = annotations };
    }

    private string String(string value) => _strings.GetOrAdd(value);

    private PolicySpec Spec(PolicySpec spec)
    {
        if (_specs.TryGet(spec, out var shared))
        {
            return shared;
        }

        // The parts put in are equal to the ones taken out, so the copy equals the spec it replaces.
        var (podSelector, ingress, egress) = (Selector(spec.PodSelector)!, Rules(spec.Ingress), Rules(spec.Egress));
        var types = List(_typeLists, spec.PolicyTypes);
        var result = ReferenceEquals(podSelector, spec.PodSelector) && Same(ingress, spec.Ingress) && Same(egress, spec.Egress) && types == spec.PolicyTypes
            ? spec
            : spec with { PodSelector = podSelector, Ingress = ingress, Egress = egress, PolicyTypes = types };
        return _specs.GetOrAdd(result);
    }

    private ImmutableArray<PolicyRule> Rules(ImmutableArray<PolicyRule> rules)
    {
        if (rules.IsDefaultOrEmpty)
        {
            return rules;
        }

        var builder = ImmutableArray.CreateBuilder<PolicyRule>(rules.Length);
        foreach (var rule in rules)
        {
            builder.Add(Rule(rule));
        }

        var shared = builder.MoveToImmutable();
        return Same(shared, rules) ? rules : shared;
    }

    /// <summary>The list held for <paramref name="list"/>'s items: the first equal one seen, or this one from now on.</summary>
    private static ImmutableArray<T> List<T>(SharedSet<T[]> lists, ImmutableArray<T> list)
        where T : class =>
        list.IsDefaultOrEmpty ? list : ImmutableCollectionsMarshal.AsImmutableArray(lists.GetOrAdd(ImmutableCollectionsMarshal.AsArray(list)!));

    private static bool Same<T>(ImmutableArray<T> a, ImmutableArray<T> b)
        where T : class
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (!ReferenceEquals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private PolicyRule Rule(PolicyRule rule)
    {
        if (_rules.TryGet(rule, out var shared))
        {
            return shared;
        }

        var peers = ImmutableArray.CreateBuilder<Peer>(rule.Peers.Length);
        foreach (var peer in rule.Peers)
        {
            peers.Add(Peer(peer));
        }

        var ports = ImmutableArray.CreateBuilder<PolicyPort>(rule.Ports.Length);
        foreach (var port in rule.Ports)
        {
            ports.Add(_ports.GetOrAdd(port));
        }

        var (sharedPeers, portsOfShared) = (peers.MoveToImmutable(), ports.MoveToImmutable());
        var sharedPorts = List(_portLists, Same(portsOfShared, rule.Ports) ? rule.Ports : portsOfShared);
        var result = Same(sharedPeers, rule.Peers) && sharedPorts == rule.Ports ? rule : rule with { Peers = sharedPeers, Ports = sharedPorts };
        return _rules.GetOrAdd(result);
    }

    private Peer Peer(Peer peer)
    {
        if (_peers.TryGet(peer, out var shared))
        {
            return shared;
        }

        var (pods, namespaces) = (Selector(peer.PodSelector), Selector(peer.NamespaceSelector));
        var result = ReferenceEquals(pods, peer.PodSelector) && ReferenceEquals(namespaces, peer.NamespaceSelector)
            ? peer
            : peer with { PodSelector = pods, NamespaceSelector = namespaces };
        return _peers.GetOrAdd(result);
    }

    private LabelSelector? Selector(LabelSelector? selector)
    {
        if (selector is null)
        {
            return null;
        }

        if (_selectors.TryGet(selector, out var shared))
        {
            return shared;
        }

        var labels = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>(selector.MatchLabels.Length);
        var unchanged = true;
        foreach (var (key, value) in selector.MatchLabels)
        {
            var (sharedKey, sharedValue) = (String(key), String(value));
            unchanged &= ReferenceEquals(sharedKey, key) && ReferenceEquals(sharedValue, value);
            labels.Add(KeyValuePair.Create(sharedKey, sharedValue));
        }

        var result = unchanged ? selector : selector with { MatchLabels = labels.MoveToImmutable() };
        return _selectors.GetOrAdd(result);
    }

    private ImmutableSortedDictionary<string, string> LabelSet(ImmutableSortedDictionary<string, string> labels)
    {
        if (labels.IsEmpty)
        {
            return labels;
        }

        if (_labelSets.TryGet(labels, out var shared))
        {
            return shared;
        }

        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(labels.KeyComparer, labels.ValueComparer);
        var unchanged = true;
        foreach (var (key, value) in labels)
        {
            var (sharedKey, sharedValue) = (String(key), String(value));
            unchanged &= ReferenceEquals(sharedKey, key) && ReferenceEquals(sharedValue, value);
            builder[sharedKey] = sharedValue;
        }

        var result = unchanged ? labels : builder.ToImmutable();
        return _labelSets.GetOrAdd(result);
    }

    /// <summary>
    /// A live policy holding the parts it has in common with its declared one as that one's: a live policy equal to Git
    /// (nearly all of them) then keeps little of its own beside its metadata. Equal in every way to <paramref name="live"/>.
    /// </summary>
    public static CanonicalPolicy WithPartsOf(CanonicalPolicy live, CanonicalPolicy? declared)
    {
        if (declared is null || declared.Id != live.Id)
        {
            return live;
        }

        var spec = live.Spec.Equals(declared.Spec) ? declared.Spec : live.Spec;
        var labels = LabelSetComparer.Instance.Equals(live.Labels, declared.Labels) ? declared.Labels : live.Labels;
        return live with { Namespace = declared.Namespace, Name = declared.Name, Spec = spec, Labels = labels };
    }
}
