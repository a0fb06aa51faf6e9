namespace AdmissionGuard.Tests.Deploy;

/// <summary>
/// deploy/components/policy-reports: the Component that turns PolicyReports on (AdmissionGuard__Drift__PolicyReports
/// in the ConfigMap) ships the RBAC those writes need, and nothing else; no shipped kustomization includes it.
/// </summary>
public sealed class PolicyReportsComponentTests
{
    private const string Setting = "AdmissionGuard__Drift__PolicyReports";

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void No_shipped_kustomization_turns_PolicyReports_on_or_may_write_them(string path)
    {
        var rendered = Overlay.Named(path).Render();

        Assert.Null(rendered.Single("ConfigMap", "admissionguard-config").TextOrNull("data", Setting));
        Assert.DoesNotContain(rendered.OfKind("ClusterRole").Concat(rendered.OfKind("Role")).SelectMany(r => r.Maps("rules")), r => r.Texts("apiGroups").Contains("wgpolicyk8s.io"));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Added_to_an_overlay_it_turns_PolicyReports_on_and_grants_exactly_their_writes(string path)
    {
        var rendered = Kustomize.RenderWith(path, "policy-reports");

        var config = rendered.Single("ConfigMap", "admissionguard-config");
        Assert.Equal("true", config.Text("data", Setting));
        Assert.Equal(Rendered.Namespace, config.Text("metadata", "namespace"));
        Assert.Equal(
            Overlay.Named(path).Render().Single("ConfigMap", "admissionguard-config").Map("data").Children.Count + 1,
            config.Map("data").Children.Count);

        var role = rendered.Single("ClusterRole", "admissionguard-policy-reports");
        var rule = Assert.Single(role.Maps("rules"));
        RbacTests.AssertRule(rule, "wgpolicyk8s.io", "policyreports", "get", "list", "create", "update", "patch", "delete");
        var binding = rendered.Single("ClusterRoleBinding", "admissionguard-policy-reports");
        Assert.Equal(("ClusterRole", "admissionguard-policy-reports"), (binding.Text("roleRef", "kind"), binding.Text("roleRef", "name")));
        RbacTests.AssertBindsOnlyTheGuard(binding);
        Assert.Equal(2, rendered.OfKind("ClusterRole").Count);
        Assert.Equal(2, rendered.OfKind("ClusterRoleBinding").Count);
    }
}
