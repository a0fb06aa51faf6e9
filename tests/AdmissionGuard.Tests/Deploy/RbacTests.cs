using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Tests.Deploy;

/// <summary>
/// Least privilege: read NetworkPolicies and record Events on them cluster-wide, a Lease in the guard's
/// namespace, nothing else (PolicyReport writes come with components/policy-reports: PolicyReportsComponentTests).
/// </summary>
public sealed class RbacTests
{
    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Cluster_wide_the_guard_may_only_read_network_policies_and_create_and_patch_events(string path)
    {
        var rendered = Overlay.Named(path).Render();

        var role = Assert.Single(rendered.OfKind("ClusterRole"));
        Assert.Collection(
            role.Maps("rules"),
            rule => AssertRule(rule, "networking.k8s.io", "networkpolicies", "get", "list", "watch"),
            rule => AssertRule(rule, "events.k8s.io", "events", "create", "patch"));

        var binding = Assert.Single(rendered.OfKind("ClusterRoleBinding"));
        Assert.Equal("ClusterRole", binding.Text("roleRef", "kind"));
        Assert.Equal(role.Text("metadata", "name"), binding.Text("roleRef", "name"));
        AssertBindsOnlyTheGuard(binding);
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void In_its_namespace_the_guard_may_only_get_create_and_update_leases(string path)
    {
        var rendered = Overlay.Named(path).Render();

        var role = Assert.Single(rendered.OfKind("Role"));
        Assert.Equal(Rendered.Namespace, role.Text("metadata", "namespace"));
        var rule = Assert.Single(role.Maps("rules"));
        AssertRule(rule, "coordination.k8s.io", "leases", "get", "create", "update");

        var binding = Assert.Single(rendered.OfKind("RoleBinding"));
        Assert.Equal(Rendered.Namespace, binding.Text("metadata", "namespace"));
        Assert.Equal("Role", binding.Text("roleRef", "kind"));
        Assert.Equal(role.Text("metadata", "name"), binding.Text("roleRef", "name"));
        AssertBindsOnlyTheGuard(binding);
    }

    internal static void AssertRule(YamlMappingNode rule, string apiGroup, string resource, params string[] verbs)
    {
        Assert.Equal([apiGroup], rule.Texts("apiGroups"));
        Assert.Equal([resource], rule.Texts("resources"));
        Assert.Equal(verbs.Order(StringComparer.Ordinal), rule.Texts("verbs").Order(StringComparer.Ordinal));
        Assert.False(rule.Has("resourceNames"));
        Assert.False(rule.Has("nonResourceURLs"));
    }

    internal static void AssertBindsOnlyTheGuard(YamlMappingNode binding)
    {
        var subject = Assert.Single(binding.Maps("subjects"));
        Assert.Equal("ServiceAccount", subject.Text("kind"));
        Assert.Equal("admissionguard", subject.Text("name"));
        Assert.Equal(Rendered.Namespace, subject.Text("namespace"));
    }
}
