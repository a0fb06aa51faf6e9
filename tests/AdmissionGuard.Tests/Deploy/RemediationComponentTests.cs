namespace AdmissionGuard.Tests.Deploy;

/// <summary>
/// deploy/components/remediation: remediation of lasting drift is off unless this Component is added; it sets the mode
/// and grants what remediation writes (never a delete), and nothing else.
/// </summary>
public sealed class RemediationComponentTests
{
    private const string Setting = "AdmissionGuard__Drift__Remediate";

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void No_shipped_kustomization_remediates_or_may_write_network_policies(string path)
    {
        var rendered = Overlay.Named(path).Render();

        Assert.Null(rendered.Single("ConfigMap", "admissionguard-config").TextOrNull("data", Setting));
        Assert.DoesNotContain(
            rendered.OfKind("ClusterRole").Concat(rendered.OfKind("Role")).SelectMany(r => r.Maps("rules")),
            r => r.Texts("apiGroups").Intersect(["networking.k8s.io", "kustomize.toolkit.fluxcd.io", "argoproj.io"]).Any()
                && r.Texts("verbs").Intersect(["update", "create", "patch", "delete"]).Any());
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Added_to_an_overlay_it_sets_the_mode_and_grants_exactly_the_remediation_writes(string path)
    {
        var rendered = Kustomize.RenderWith(path, "remediation");

        var config = rendered.Single("ConfigMap", "admissionguard-config");
        Assert.Equal("RequestSync", config.Text("data", Setting));
        Assert.Equal("5m", config.Text("data", "AdmissionGuard__Drift__RemediateAfter"));
        var rules = rendered.Single("ClusterRole", "admissionguard-remediation").Maps("rules").ToList();
        Assert.Equal(3, rules.Count);
        RbacTests.AssertRule(rules[0], "networking.k8s.io", "networkpolicies", "get", "update", "create");
        RbacTests.AssertRule(rules[1], "kustomize.toolkit.fluxcd.io", "kustomizations", "patch");
        RbacTests.AssertRule(rules[2], "argoproj.io", "applications", "patch");
        RbacTests.AssertBindsOnlyTheGuard(rendered.Single("ClusterRoleBinding", "admissionguard-remediation"));
    }
}
