using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Tests.Deploy;

/// <summary>The Services and the guard's own NetworkPolicy: the webhook port for the API server, the ops port kept apart.</summary>
public sealed class NetworkTests
{
    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_webhook_service_exposes_443_to_8443_only(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var service = rendered.Single("Service", "admissionguard").Map("spec");

        var port = Assert.Single(service.Maps("ports"));
        Assert.Equal(443, port.Int("port"));
        Assert.Equal(8443, rendered.ContainerPort(port.Text("targetPort")));
        Assert.True(rendered.SelectsPods(service.Map("selector")));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_ops_port_has_its_own_service(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var service = rendered.Single("Service", "admissionguard-metrics").Map("spec");

        var port = Assert.Single(service.Maps("ports"));
        Assert.Equal(8080, port.Int("port"));
        Assert.Equal(8080, rendered.ContainerPort(port.Text("targetPort")));
        Assert.True(rendered.SelectsPods(service.Map("selector")));
        Assert.Equal(2, rendered.OfKind("Service").Count);
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_guard_s_network_policy_admits_the_api_server_from_anywhere_and_ops_from_monitoring_only(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var policy = rendered.Single("NetworkPolicy", "admissionguard").Map("spec");

        Assert.True(rendered.SelectsPods(policy.Map("podSelector", "matchLabels")));
        Assert.Equal(["Egress", "Ingress"], policy.Texts("policyTypes").Order(StringComparer.Ordinal));

        var ingress = policy.Maps("ingress");
        Assert.Contains(ingress, rule => Ports(rule).Contains("TCP/8443") && rule.Maps("from").Count == 0);
        var ops = ingress.Where(rule => Ports(rule).Contains("TCP/8080")).ToList();
        Assert.NotEmpty(ops);
        Assert.All(ops, rule =>
        {
            Assert.NotEmpty(rule.Maps("from"));
            Assert.All(rule.Maps("from"), peer => Assert.True(peer.Has("namespaceSelector", "matchLabels")));
        });
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_guard_s_network_policy_lets_it_reach_dns_the_api_server_and_git(string path)
    {
        var policy = Overlay.Named(path).Render().Single("NetworkPolicy", "admissionguard").Map("spec");

        var allowed = policy.Maps("egress").SelectMany(Ports).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(["UDP/53", "TCP/53", "TCP/443", "TCP/6443", "TCP/9418"], StringComparer.Ordinal), allowed);
    }

    private static IEnumerable<string> Ports(YamlMappingNode rule) =>
        rule.Maps("ports").Select(p => (p.TextOrNull("protocol") ?? "TCP") + "/" + p.Text("port"));
}
