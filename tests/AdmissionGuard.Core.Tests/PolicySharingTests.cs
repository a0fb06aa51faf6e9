using System.Runtime.InteropServices;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Tests;

/// <summary>Policies of one baseline share their equal parts and stay equal, in every way, to what was read.</summary>
public sealed class PolicySharingTests
{
    private const string Dns = """{"to":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"kube-system"}},"podSelector":{"matchLabels":{"k8s-app":"kube-dns"}}}],"ports":[{"protocol":"UDP","port":53},{"protocol":"TCP","port":53}]}""";

    private static CanonicalPolicy Tenant(string ns, string app, string extraEgress = "") => Policies.Spec(
        $$$"""{"podSelector":{"matchLabels":{"app":"{{{app}}}"}},"policyTypes":["Egress"],"egress":[{{{Dns}}}{{{extraEgress}}}]}""",
        """{"labels":{"app.kubernetes.io/managed-by":"argocd"}}""",
        name: $"{app}-egress",
        ns: ns);

    [Fact]
    public void A_rule_repeated_in_many_namespaces_is_held_once_and_every_policy_keeps_its_key()
    {
        var read = new[] { Tenant("team-a", "web"), Tenant("team-b", "api"), Tenant("team-c", "db", """,{"to":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}""") };
        var sharing = new PolicySharing();

        var shared = read.Select(sharing.Share).ToArray();

        Assert.Equal(read.Select(p => p.Spec.Key), shared.Select(p => p.Spec.Key));
        Assert.Equal(read.Select(p => p.Id), shared.Select(p => p.Id));
        Assert.Equal(read.Select(p => string.Join(',', p.Labels)), shared.Select(p => string.Join(',', p.Labels)));
        Assert.Same(shared[0].Spec.Egress[0], shared[1].Spec.Egress[0]);
        Assert.Same(shared[0].Spec.Egress[0], shared[2].Spec.Egress.Single(r => r.PortsKey == "TCP/53,UDP/53"));
        Assert.Same(shared[0].Labels, shared[2].Labels);
        Assert.NotSame(shared[0].Spec.PodSelector, shared[1].Spec.PodSelector);
        Assert.Same(shared[0].Spec.PodSelector.MatchLabels[0].Key, shared[1].Spec.PodSelector.MatchLabels[0].Key);
    }

    [Fact]
    public void Different_rules_hold_one_instance_of_a_peer_or_port_they_have_in_common()
    {
        var policy = Policies.Spec("""
            {"podSelector":{},"policyTypes":["Egress"],"egress":[
              {"to":[{"podSelector":{"matchLabels":{"app":"web"}}}],"ports":[{"port":443}]},
              {"to":[{"podSelector":{"matchLabels":{"app":"api"}}}],"ports":[{"port":443}]},
              {"to":[{"podSelector":{"matchLabels":{"app":"web"}}}],"ports":[{"port":80}]}]}
            """);

        var shared = new PolicySharing().Share(policy);

        Assert.Equal(policy.Spec.Key, shared.Spec.Key);
        var egress = shared.Spec.Egress;
        var byPeer = egress.ToLookup(rule => rule.Peers.Single().PodSelector!.Text);
        Assert.Same(byPeer["app=web"].First().Peers[0], byPeer["app=web"].Last().Peers[0]);
        Assert.NotSame(byPeer["app=web"].First(), byPeer["app=web"].Last());
        var byPort = egress.ToLookup(rule => rule.Ports.Single().Text);
        Assert.Same(byPort["TCP/443"].First().Ports[0], byPort["TCP/443"].Last().Ports[0]);
        Assert.NotSame(byPort["TCP/443"].First(), byPort["TCP/443"].Last());
    }

    [Fact]
    public void Rules_and_specs_of_their_own_hold_one_list_of_the_ports_and_policy_types_they_have_in_common()
    {
        static CanonicalPolicy Tenant(string app) => Policies.Spec(
            $$$$"""{"podSelector":{"matchLabels":{"app":"{{{{app}}}}"}},"policyTypes":["Ingress","Egress"],"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"{{{{app}}}}-client"}}}],"ports":[{"port":8080},{"port":9090}]}]}""",
            name: app);
        var read = new[] { Tenant("web"), Tenant("api") };
        var sharing = new PolicySharing();

        var shared = read.Select(sharing.Share).ToArray();

        Assert.Equal(read.Select(p => p.Spec.Key), shared.Select(p => p.Spec.Key));
        Assert.NotSame(shared[0].Spec.Ingress[0], shared[1].Spec.Ingress[0]);
        Assert.Same(ImmutableCollectionsMarshal.AsArray(shared[0].Spec.Ingress[0].Ports), ImmutableCollectionsMarshal.AsArray(shared[1].Spec.Ingress[0].Ports));
        Assert.Same(ImmutableCollectionsMarshal.AsArray(shared[0].Spec.PolicyTypes), ImmutableCollectionsMarshal.AsArray(shared[1].Spec.PolicyTypes));
        Assert.NotSame(ImmutableCollectionsMarshal.AsArray(read[0].Spec.PolicyTypes), ImmutableCollectionsMarshal.AsArray(read[1].Spec.PolicyTypes));
    }

    [Fact]
    public void Policies_shared_from_many_threads_at_once_hold_one_instance_of_each_part()
    {
        // Each half of the range (one thread each) meets the same new parts at about the same time.
        const int Apps = 10_000;
        var read = Enumerable.Range(0, 2 * Apps).Select(i => Tenant($"team-{i}", $"app-{i % Apps}")).ToArray();
        var sharing = new PolicySharing();
        var shared = new CanonicalPolicy[read.Length];

        Parallel.For(0, read.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => shared[i] = sharing.Share(read[i]));

        Assert.Equal(read.Select(p => p.Spec.Key), shared.Select(p => p.Spec.Key));
        Assert.Single(shared.Select(p => p.Spec.Egress[0]).Distinct(ReferenceEqualityComparer.Instance));
        Assert.Single(shared.Select(p => p.Labels).Distinct(ReferenceEqualityComparer.Instance));
        Assert.Equal(Apps, shared.Select(p => p.Spec).Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public void Equal_specs_in_two_namespaces_are_one_spec()
    {
        var sharing = new PolicySharing();

        var (a, b) = (sharing.Share(Tenant("team-a", "web")), sharing.Share(Tenant("team-b", "web")));

        Assert.Same(a.Spec, b.Spec);
        Assert.Equal("team-b", b.Namespace);
    }

    [Fact]
    public void A_policy_already_made_of_shared_parts_is_returned_as_it_is()
    {
        var first = new PolicySharing().Share(Tenant("team-a", "web"));

        var again = new PolicySharing().Share(first);

        Assert.Same(first, again);
    }

    [Fact]
    public void A_live_policy_equal_to_its_declared_one_holds_the_declared_parts_and_a_changed_one_its_own()
    {
        var declared = Tenant("team-a", "web");
        var equal = Tenant("team-a", "web") with { Annotations = declared.Annotations.Add("argocd.argoproj.io/tracking-id", "shop:networking.k8s.io/NetworkPolicy:team-a/web-egress") };
        var widened = Tenant("team-a", "web", """,{"to":[{"ipBlock":{"cidr":"0.0.0.0/0"}}]}""");

        var sharedEqual = PolicySharing.WithPartsOf(equal, declared);
        var sharedWidened = PolicySharing.WithPartsOf(widened, declared);

        Assert.Same(declared.Spec, sharedEqual.Spec);
        Assert.Same(declared.Labels, sharedEqual.Labels);
        Assert.Same(equal.Annotations, sharedEqual.Annotations);
        Assert.Equal((equal.Id, equal.Spec.Key, string.Join(',', equal.Labels)), (sharedEqual.Id, sharedEqual.Spec.Key, string.Join(',', sharedEqual.Labels)));
        Assert.Same(widened.Spec, sharedWidened.Spec);
        Assert.NotEqual(declared.Spec, sharedWidened.Spec);
        Assert.Same(widened, PolicySharing.WithPartsOf(widened, null));
        Assert.Same(widened, PolicySharing.WithPartsOf(widened, Tenant("team-b", "web")));
    }
}
